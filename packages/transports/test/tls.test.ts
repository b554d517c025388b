import * as net from 'node:net';
import * as tls from 'node:tls';
import { CancelledError, createTask, InvalidStateError, TimeoutError } from '@coro/futures';
import { certificates, rawServer } from '@coro/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ConnectionAbortedError,
  createConnection,
  type Protocol,
  startTls,
  type Transport,
} from '../src/index.js';
import { cancelLater, Echo, keepingServer, portOf, Recorder, serve, until } from './helpers.js';

const certs = certificates();
async function tlsEchoServer(
  ssl: tls.TlsOptions | tls.SecureContext = { key: certs.key, cert: certs.cert },
) {
  const server = await serve(() => new Echo(), { ssl });
  return { server, port: portOf(server) };
}

describe('TLS connections', () => {
  it('echoes over TLS when the client trusts the server certificate', async () => {
    const { port } = await tlsEchoServer();

    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
    });
    transport.write('secret');
    await protocol.received(6);

    expect(protocol.text()).toBe('secret');
    expect(transport.canWriteEof()).toBe(false);
    expect(transport.getExtraInfo('sslobject')).toBeInstanceOf(tls.TLSSocket);
    expect(transport.getExtraInfo<{ subject: { CN: string } }>('peercert')?.subject.CN).toBe(
      'server',
    );
    expect(transport.getExtraInfo<{ version: string }>('cipher')?.version).toMatch(/^TLSv1\.[23]$/);
    transport.close();
    expect(await protocol.lost).toBeUndefined();
  });

  it('verifies the host name given by serverHostname', async () => {
    const { port } = await tlsEchoServer();

    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
      serverHostname: 'localhost',
    });
    transport.abort();

    await expect(
      createConnection(() => new Recorder(), '127.0.0.1', port, {
        ssl: { ca: certs.ca },
        serverHostname: 'other.example',
      }),
    ).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('rejects a certificate for another name', async () => {
    const { port } = await tlsEchoServer({ key: certs.wrongNameKey, cert: certs.wrongNameCert });

    await expect(
      createConnection(() => new Recorder(), '127.0.0.1', port, { ssl: { ca: certs.ca } }),
    ).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('rejects an untrusted (self-signed) certificate by default, leaving no connection', async () => {
    const { server, port } = await tlsEchoServer({
      key: certs.selfSignedKey,
      cert: certs.selfSignedCert,
    });
    let made = 0;

    await expect(
      createConnection(
        () => {
          made++;
          return new Recorder();
        },
        '127.0.0.1',
        port,
        { ssl: true },
      ),
    ).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

    expect(made).toBe(0);
    server.close();
    await server.waitClosed(); // the server saw the connection go away
  });

  it('accepts an untrusted certificate only with rejectUnauthorized: false', async () => {
    const { port } = await tlsEchoServer({ key: certs.selfSignedKey, cert: certs.selfSignedCert });

    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { rejectUnauthorized: false },
    });
    transport.write('ok');
    await protocol.received(2);

    expect(protocol.text()).toBe('ok');
    transport.abort();
  });

  it('takes SecureContext objects on both sides', async () => {
    const { port } = await tlsEchoServer(
      tls.createSecureContext({ key: certs.key, cert: certs.cert }),
    );

    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: tls.createSecureContext({ ca: certs.ca }),
    });
    transport.write('ctx');
    await protocol.received(3);

    expect(protocol.text()).toBe('ctx');
    transport.abort();
  });

  it('rejects with TimeoutError when the handshake outlasts sslHandshakeTimeout, leaving no socket', async () => {
    const silent = await rawServer(); // accepts TCP, never speaks TLS

    const connecting = createConnection(() => new Recorder(), '127.0.0.1', silent.port, {
      ssl: true,
      sslHandshakeTimeout: 50,
    });

    await expect(connecting).rejects.toThrow(
      new TimeoutError('TLS handshake took longer than 50 ms; connection aborted'),
    );
    await until(() => silent.open() === 0, 'the server to see the socket close');
  });

  it('drops a client whose handshake outlasts the server sslHandshakeTimeout', async () => {
    const server = await serve(() => new Recorder(), {
      ssl: { key: certs.key, cert: certs.cert },
      sslHandshakeTimeout: 50,
    });
    const raw = net.connect(portOf(server), '127.0.0.1');
    raw.on('error', () => {});

    await new Promise((resolve) => raw.once('close', resolve)); // never sent a ClientHello

    expect(raw.bytesRead).toBe(0); // dropped without a word
    server.close();
    await server.waitClosed();
  });

  it('stops the handshake and leaves no socket when the task is cancelled', async () => {
    const silent = await rawServer(); // accepts TCP, never speaks TLS
    const task = createTask(() =>
      createConnection(() => new Recorder(), '127.0.0.1', silent.port, { ssl: true }),
    );
    await until(() => silent.open() === 1, 'the connection');

    task.cancel();

    await expect(task).rejects.toBeInstanceOf(CancelledError);
    await until(() => silent.open() === 0, 'the server to see the socket close');
  });

  it('closes with close_notify: the peer hears EOF, then both lose the connection cleanly', async () => {
    const serverSide: Recorder[] = [];
    const server = await serve(
      () => {
        const recorder = new Recorder();
        serverSide.push(recorder);
        return recorder;
      },
      { ssl: { key: certs.key, cert: certs.cert } },
    );
    const [transport, client] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
      {
        ssl: { ca: certs.ca },
      },
    );
    transport.write('bye');
    await until(() => serverSide[0]?.size() === 3, 'the bytes');

    transport.close();

    expect(await client.lost).toBeUndefined();
    expect(await serverSide[0]?.lost).toBeUndefined();
    expect(serverSide[0]?.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
  });

  it('gives up waiting for the peer close_notify after sslShutdownTimeout', async () => {
    // A raw TLS peer that never answers our close_notify (it keeps its side open).
    const peers: tls.TLSSocket[] = [];
    const server = tls.createServer(
      { key: certs.key, cert: certs.cert, allowHalfOpen: true },
      (socket) => {
        peers.push(socket);
        socket.on('error', () => {});
        socket.resume();
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const peer of peers) peer.destroy();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as net.AddressInfo;
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
      sslShutdownTimeout: 50,
    });

    transport.close();

    expect(await protocol.lost).toBeUndefined();
  });
});

describe('startTls', () => {
  /** A line protocol: 'STARTTLS' → reply 'GO', upgrade as server, then echo. */
  class StartTlsServer implements Protocol {
    transport: Transport | undefined;
    upgraded: Transport | undefined;
    upgradeError: Error | undefined;
    readonly received: string[] = [];
    connectionMade(transport: Transport): void {
      this.transport = transport;
    }
    dataReceived(data: Uint8Array): void {
      const text = Buffer.from(data).toString();
      if (this.upgraded === undefined && text === 'STARTTLS') {
        this.transport?.write('GO');
        void startTls(
          this.transport as Transport,
          this,
          { key: certs.key, cert: certs.cert },
          {
            serverSide: true,
          },
        ).then(
          (upgraded) => {
            this.upgraded = upgraded;
          },
          (error: Error) => {
            this.upgradeError = error;
          },
        );
        return;
      }
      this.received.push(text);
      this.upgraded?.write(data);
    }
  }

  /** A StartTlsServer, and a plain connection to it that sent STARTTLS and got GO. */
  async function askForStartTls() {
    const { server, accepted } = await keepingServer(() => new StartTlsServer());
    const [plain, client] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );
    plain.write('STARTTLS');
    await client.received(2);
    return { server, serverProtocols: accepted, plain, client };
  }

  it('upgrades both sides of a plain connection to TLS', async () => {
    const { server, serverProtocols, plain, client } = await askForStartTls();
    expect(client.text()).toBe('GO');

    const secure = await startTls(plain, client, { ca: certs.ca }, { serverHostname: 'localhost' });
    secure.write('over tls');
    await client.received(2 + 8);

    expect(client.text()).toBe('GOover tls');
    expect(serverProtocols[0]?.received).toEqual(['over tls']);
    expect(secure.getExtraInfo('sslobject')).toBeInstanceOf(tls.TLSSocket);
    expect(client.events).toEqual(['connectionMade', 'dataReceived']); // no second connectionMade
    expect(() => plain.write('x')).toThrow(InvalidStateError); // the old transport is inert

    secure.close();
    await client.lost;
    server.close();
    await server.waitClosed(); // the upgraded server connection was counted and is gone
  });

  it('rejects and closes the connection when the peer certificate is not trusted', async () => {
    const { server, serverProtocols, plain, client } = await askForStartTls();

    await expect(
      startTls(plain, client, true, { serverHostname: 'localhost' }),
    ).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    await until(() => serverProtocols[0]?.upgradeError !== undefined, 'the server side to fail');

    server.close();
    await server.waitClosed();
  });

  it('case 10: tells the protocol connectionLost(error) and closes when the handshake fails', async () => {
    // The peer answers the ClientHello in plain text.
    const { port } = await rawServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.0 400 plain text\r\n\r\n'.repeat(4)));
    });
    const [plain, client] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    const failure = await startTls(plain, client, { rejectUnauthorized: false }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect(await client.lost).toBe(failure);
    expect(client.events).toEqual(['connectionMade', 'connectionLost']);
    expect(plain.isClosing()).toBe(true);
    await until(
      () => plain.getExtraInfo<net.Socket>('socket')?.destroyed === true,
      'the socket closed',
    );
  });

  it('case 10: tells the protocol connectionLost when the upgrade is cancelled, as a ConnectionAbortedError', async () => {
    const { port } = await rawServer((socket) => socket.resume()); // never answers the ClientHello
    const [plain, client] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    const task = createTask(() => startTls(plain, client, { rejectUnauthorized: false }));
    cancelLater(3, () => task.cancel());

    await expect(task).rejects.toBeInstanceOf(CancelledError);

    const lost = await client.lost;
    expect(lost).toBeInstanceOf(ConnectionAbortedError);
    expect(lost?.message).toBe('the TLS upgrade was cancelled; connection closed');
  });

  it('validates its arguments before touching the connection', async () => {
    const server = await serve(() => new Echo());
    const [plain, client] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );

    await expect(startTls({} as Transport, client, true)).rejects.toBeInstanceOf(TypeError);
    await expect(startTls(plain, client, 'yes' as never)).rejects.toBeInstanceOf(TypeError);
    plain.write('still plain');
    await client.received(11);
    expect(client.text()).toBe('still plain');
    plain.close();
    await expect(startTls(plain, client, true)).rejects.toBeInstanceOf(InvalidStateError);
  });
});
