/*
 * TLS behaviour translated from CPython's test_sslproto.py and the TLS parts of
 * test_events.py (own words): extra information on both sides, failures that leave
 * no protocol behind, a corrupted record stream, eofReceived on TLS, startTls with
 * data queued on either side, a BufferedProtocol across the upgrade, a cancelled
 * upgrade, and closeClients() on TLS connections.
 */

import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  CancelledError,
  createTask,
  Future,
  InvalidStateError,
  sleep,
  TimeoutError,
  timeout,
} from '@coro/futures';
import { certificates, rawServer } from '@coro/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type BufferedProtocol,
  createConnection,
  createServer,
  type Protocol,
  startTls,
  type Transport,
} from '../src/index.js';
import {
  captureExceptions,
  keepingServer,
  portOf,
  Recorder,
  recordingServer,
  serve,
  until,
} from './helpers.js';

const certs = certificates();
const serverSsl = { key: certs.key, cert: certs.cert };
/** A TLS server of Recorders (kept, newest last), shut down after the test. */
function recordingTlsServer(ssl: tls.TlsOptions = serverSsl) {
  return recordingServer({ ssl });
}

describe('TLS extra information (check_ssl_extra_info)', () => {
  it('gives the client the peer certificate, the cipher and the TLS socket; the server no peercert', async () => {
    const { port, accepted } = await recordingTlsServer();

    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
      serverHostname: 'localhost',
    });
    await until(() => accepted.length === 1, 'the server side');
    const serverSide = (await accepted[0]?.made) as Transport;

    const cipher = transport.getExtraInfo<tls.CipherNameAndProtocol>('cipher');
    expect(cipher?.name).toEqual(expect.any(String));
    expect(cipher?.version).toMatch(/^TLSv1\.[23]$/);
    expect(transport.getExtraInfo<tls.PeerCertificate>('peercert')?.subject.CN).toBe('server');
    expect(transport.getExtraInfo('peername')).toEqual({
      address: '127.0.0.1',
      family: 'IPv4',
      port,
    });
    expect(transport.getExtraInfo('sockname')).toMatchObject({ address: '127.0.0.1' });
    const sslobject = transport.getExtraInfo<tls.TLSSocket>('sslobject');
    expect(sslobject?.getCipher()).toEqual(cipher);
    expect(serverSide.getExtraInfo('peercert')).toBeUndefined(); // no client certificate asked
    expect(serverSide.getExtraInfo<tls.CipherNameAndProtocol>('cipher')?.name).toBe(cipher?.name);
    transport.close();
  });

  it('gives the server the client certificate when it asks for one (mutual TLS)', async () => {
    const { port, accepted } = await recordingTlsServer({
      ...serverSsl,
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });

    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca, key: certs.wrongNameKey, cert: certs.wrongNameCert },
    });
    await until(() => accepted.length === 1, 'the server side');
    const serverSide = (await accepted[0]?.made) as Transport;

    expect(serverSide.getExtraInfo<tls.PeerCertificate>('peercert')?.subject.CN).toBe('wrong');
    transport.close();
  });

  it('refuses a client without a certificate when the server requires one, making no server protocol', async () => {
    const { server, port, accepted } = await recordingTlsServer({
      ...serverSsl,
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });

    const attempt = createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
    }).then(
      async ([transport, protocol]) => {
        // TLS 1.3 finishes the client's handshake before the server's verdict arrives.
        transport.write('hello?');
        return await protocol.lost;
      },
      (error: Error) => error,
    );

    expect(await attempt).toBeInstanceOf(Error);
    expect(accepted).toHaveLength(0);
    server.close();
    await server.waitClosed();
  });
});

describe('TLS 1.2 at least, unless told otherwise', () => {
  const legacy = {
    minVersion: 'TLSv1.1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  } as const;

  it('refuses a server that speaks only TLS 1.1, and connects when the options allow it', async () => {
    const server = tls.createServer({ ...serverSsl, ...legacy }, (socket) => socket.end('old'));
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as net.AddressInfo;

    await expect(
      createConnection(() => new Recorder(), '127.0.0.1', port, { ssl: { ca: certs.ca } }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SSL_/) });

    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca, ...legacy },
    });
    expect(transport.getExtraInfo<tls.TLSSocket>('sslobject')?.getProtocol()).toBe('TLSv1.1');
    await protocol.lost;
  });

  it('refuses a client that offers only TLS 1.1', async () => {
    const { server, port, accepted } = await recordingTlsServer();
    const client = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, ...legacy });
    const failed = new Promise<Error>((resolve) => client.once('error', resolve));

    expect(await failed).toMatchObject({ code: expect.stringMatching(/^ERR_SSL_/) });
    client.destroy();
    server.close();
    await server.waitClosed();
    expect(accepted).toHaveLength(0);
  });
});

describe('TLS failures (test_create_server_ssl_verify_failed, _match_failed)', () => {
  it('fails a client that does not trust the server, and the server makes no protocol', async () => {
    const { server, port, accepted } = await recordingTlsServer();

    await expect(
      createConnection(() => new Recorder(), '127.0.0.1', port, { ssl: true }),
    ).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });

    server.close();
    await server.waitClosed(); // the half-made connection is gone as well
    expect(accepted).toHaveLength(0);
  });

  it('fails on an IP address the certificate does not name ("IP address mismatch")', async () => {
    const { port } = await recordingTlsServer({
      key: certs.wrongNameKey,
      cert: certs.wrongNameCert,
    });

    await expect(
      createConnection(() => new Recorder(), '127.0.0.1', port, { ssl: { ca: certs.ca } }),
    ).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message: expect.stringContaining('127.0.0.1'),
    });
  });

  it('refuses a handshake timeout of 0 or below (test_handshake_timeout_zero/_negative)', async () => {
    for (const value of [0, -10]) {
      await expect(
        createConnection(() => new Recorder(), '127.0.0.1', 1, {
          ssl: true,
          sslHandshakeTimeout: value,
        }),
      ).rejects.toBeInstanceOf(RangeError);
      await expect(
        createServer(() => new Recorder(), '127.0.0.1', 0, {
          ssl: serverSsl,
          sslHandshakeTimeout: value,
        }),
      ).rejects.toBeInstanceOf(RangeError);
    }
  });

  it('reports nothing to the exception handler when a handshake is cancelled by a timeout (test_handshake_timeout)', async () => {
    const contexts = captureExceptions();
    const { port } = await rawServer((socket) => socket.resume()); // never answers the ClientHello

    await expect(
      timeout(50, () =>
        createConnection(() => new Recorder(), '127.0.0.1', port, {
          ssl: true,
          sslHandshakeTimeout: 60_000,
        }),
      ),
    ).rejects.toBeInstanceOf(TimeoutError);

    await sleep(10);
    expect(contexts).toEqual([]);
  });

  it('loses the connection with a TLS error when the record stream is corrupted (test_start_tls_client_corrupted_ssl)', async () => {
    // A TLS server behind a TCP relay that, once the client spoke, slips plain
    // bytes into the server-to-client record stream.
    const tlsServer = tls.createServer(serverSsl, (socket) => {
      socket.on('error', () => {});
      socket.write('A\n');
      socket.on('data', (data) => socket.write(data)); // answers every record
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const upstream = (tlsServer.address() as net.AddressInfo).port;
    onTestFinished(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));
    let corrupt = false;
    const { port: relayPort } = await rawServer((client) => {
      const server = net.connect(upstream, '127.0.0.1');
      server.on('error', () => {});
      client.on('close', () => server.destroy());
      server.on('data', (data: Buffer) => client.write(corrupt ? Buffer.from('garbage!') : data));
      client.on('data', (data: Buffer) => server.write(data));
    });
    const contexts = captureExceptions();

    const [transport, protocol] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      relayPort,
      { ssl: { ca: certs.ca } },
    );
    await protocol.received(2);
    corrupt = true;
    transport.write('B'); // the server's answers to it come back corrupted
    const error = await protocol.lost;

    expect(protocol.text()).toBe('A\n');
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toMatch(/^ERR_SSL_/);
    expect(contexts).toEqual([]);
  });
});

describe('half-close over TLS', () => {
  it('hears eofReceived before connectionLost when the server closes right after the handshake', async () => {
    for (let i = 0; i < 5; i++) {
      const server = tls.createServer(serverSsl, (socket) => socket.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      const client = new Recorder();

      await createConnection(() => client, '127.0.0.1', port, { ssl: { ca: certs.ca } });
      await client.lost;
      await new Promise<void>((resolve) => server.close(() => resolve()));

      expect(client.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
    }
  });

  it('closes the connection though eofReceived returns true: TLS cannot stay half-open', async () => {
    const { port, accepted } = await recordingTlsServer();
    const client = new Recorder();
    client.keepOpen = true;

    const [transport] = await createConnection(() => client, '127.0.0.1', port, {
      ssl: { ca: certs.ca },
    });
    await until(() => accepted.length === 1, 'the server side');
    (await accepted[0]?.made)?.close();

    expect(await client.lost).toBeUndefined();
    expect(client.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
    expect(transport.canWriteEof()).toBe(false);
    expect(() => transport.writeEof()).toThrow(InvalidStateError);
  });

  it('refuses writes after close(), while the close_notify exchange is still going on', async () => {
    const { port } = await recordingTlsServer();
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
    });

    transport.close();

    expect(() => transport.write('late')).toThrow(InvalidStateError);
    expect(transport.isClosing()).toBe(true);
    await protocol.lost;
  });
});

describe('Server.closeClients on TLS connections', () => {
  it('closes each with close_notify: the client hears EOF and a clean loss', async () => {
    const { server, port, accepted } = await recordingTlsServer();
    const [transport, client] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      ssl: { ca: certs.ca },
    });
    transport.write('hi');
    await until(() => accepted[0]?.size() === 2, 'the bytes');

    server.close();
    server.closeClients();

    expect(await client.lost).toBeUndefined();
    expect(client.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
    await server.waitClosed();
  });
});

describe('TLS and startServing: false', () => {
  it('closes a connection that waited for startServing() gracefully too: its last bytes arrive', async () => {
    const accepted: Recorder[] = [];
    const server = await serve(
      () => {
        const recorder = new Recorder();
        accepted.push(recorder);
        return recorder;
      },
      { ssl: serverSsl, startServing: false },
    );
    const [, client] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server), {
      ssl: { ca: certs.ca },
    });
    await sleep(10); // the server finishes its side of the handshake and holds the connection

    await server.startServing();
    await until(() => accepted.length === 1, 'the held connection to be served');
    const serverSide = (await accepted[0]?.made) as Transport;
    serverSide.write(Buffer.alloc(512 * 1024, 0x7a));
    server.close();
    server.closeClients();
    await server.waitClosed();

    expect(await client.lost).toBeUndefined();
    expect(client.size()).toBe(512 * 1024);
    expect(await accepted[0]?.lost).toBeUndefined();
  });
});

describe('startTls with data in flight', () => {
  const HELLO = Buffer.alloc(100 * 1024, 0x31);

  /**
   * A server protocol that reads exactly `plainBytes` of plain text (a
   * BufferedProtocol sized to what is left, as test_sslproto's server uses
   * recv_all), then upgrades inside bufferUpdated and answers 'O' over TLS.
   */
  class UpgradeAfter implements BufferedProtocol {
    transport: Transport | undefined;
    upgraded = new Future<Transport>();
    readonly secure = new Recorder();
    #plain = 0;
    #buffer = new Uint8Array(0);
    constructor(readonly plainBytes: number) {}
    connectionMade(transport: Transport): void {
      this.transport = transport;
    }
    getBuffer(): Uint8Array {
      this.#buffer = new Uint8Array(this.plainBytes - this.#plain);
      return this.#buffer;
    }
    bufferUpdated(bytes: number): void {
      this.#plain += bytes;
      if (this.#plain < this.plainBytes) return;
      startTls(this.transport as Transport, this.secure, serverSsl, { serverSide: true }).then(
        (upgraded) => {
          upgraded.write('O');
          this.upgraded.setResult(upgraded);
        },
        (error: Error) => this.upgraded.setException(error),
      );
    }
  }

  it('sends what the client wrote before startTls in plain text first (test_start_tls_client_reg_proto_1)', async () => {
    const { server, accepted: serverProtocols } = await keepingServer(
      () => new UpgradeAfter(HELLO.length),
    );
    const client = new Recorder();
    const [plain] = await createConnection(() => client, '127.0.0.1', portOf(server));

    plain.write(HELLO); // still queued when the upgrade starts
    const secure = await startTls(plain, client, { ca: certs.ca }, { serverHostname: 'localhost' });
    await client.received(1);
    secure.write(HELLO);
    const serverSide = serverProtocols[0] as UpgradeAfter;
    await serverSide.secure.received(HELLO.length);

    expect(client.text()).toBe('O');
    expect(serverSide.secure.size()).toBe(HELLO.length);
    expect(client.events).toEqual(['connectionMade', 'dataReceived']);
    secure.close();
    await client.lost;
  });

  it('sends what the server wrote before its startTls in plain text first (test_start_tls_server_1)', async () => {
    const upgraded = new Future<Transport>();
    const serverSecure = new Recorder();
    const server = await serve(
      (): Protocol => ({
        connectionMade: (transport) => {
          transport.write(HELLO);
          startTls(transport, serverSecure, serverSsl, { serverSide: true }).then(
            (secure) => upgraded.setResult(secure),
            (error: Error) => upgraded.setException(error),
          );
        },
      }),
    );
    const client = new Recorder();
    const [plain] = await createConnection(() => client, '127.0.0.1', portOf(server));

    await client.received(HELLO.length);
    expect(client.size()).toBe(HELLO.length);
    const secure = await startTls(plain, client, { ca: certs.ca }, { serverHostname: 'localhost' });
    secure.write('answer me');
    await serverSecure.received(9);
    (await upgraded).write('answer');
    await client.received(HELLO.length + 6);

    expect(serverSecure.text()).toBe('answer me');
    expect(client.text().slice(HELLO.length)).toBe('answer');
    secure.close();
    await client.lost;
  });

  it('feeds a one-byte BufferedProtocol across the upgrade, then switches to a Protocol (test_start_tls_client_buf_proto_1)', async () => {
    const { server, accepted: serverProtocols } = await keepingServer(
      () => new UpgradeAfter(HELLO.length),
    );
    let connectionMadeCalls = 0;
    const firstData = new Future<string>();
    const buffer = new Uint8Array(1);
    const first: BufferedProtocol = {
      connectionMade: () => {
        connectionMadeCalls += 1;
      },
      getBuffer: () => buffer,
      bufferUpdated: (bytes) => {
        expect(bytes).toBe(1);
        if (!firstData.done()) firstData.setResult(Buffer.from(buffer).toString());
      },
    };
    const [plain] = await createConnection(() => first, '127.0.0.1', portOf(server));

    plain.write(HELLO);
    const secure = await startTls(plain, first, { ca: certs.ca }, { serverHostname: 'localhost' });
    expect(await firstData).toBe('O');
    const second = new Recorder();
    secure.setProtocol(second);
    const serverSide = serverProtocols[0] as UpgradeAfter;
    (await serverSide.upgraded).write('2');
    await second.received(1);

    expect(second.text()).toBe('2');
    expect(connectionMadeCalls).toBe(1);
    secure.close();
    await second.lost;
  });

  it('closes the connection when the upgrade is cancelled by a timeout (test_start_tls_slow_client_cancel)', async () => {
    let peerClosed = false;
    const peerSawData = new Future<void>();
    const { port } = await rawServer((socket) => {
      socket.on('data', () => {
        if (!peerSawData.done()) peerSawData.setResult(undefined);
      }); // reads, never answers a ClientHello
      socket.on('close', () => {
        peerClosed = true;
      });
    });
    const client = new Recorder();
    const [plain] = await createConnection(() => client, '127.0.0.1', port);
    plain.write(HELLO);
    await peerSawData;

    await expect(
      timeout(50, () => startTls(plain, client, { ca: certs.ca }, { serverHostname: 'localhost' })),
    ).rejects.toBeInstanceOf(TimeoutError);

    await until(() => peerClosed, 'the peer to see the connection close');
  });

  it('is cancelled with the task that awaits it, leaving no socket', async () => {
    let peerClosed = false;
    const { port } = await rawServer((socket) => {
      socket.resume();
      socket.on('close', () => {
        peerClosed = true;
      });
    });
    const client = new Recorder();
    const [plain] = await createConnection(() => client, '127.0.0.1', port);
    const upgrading = createTask(() =>
      startTls(plain, client, { ca: certs.ca }, { serverHostname: 'localhost' }),
    );
    await sleep(10);

    upgrading.cancel();

    await expect(upgrading).rejects.toBeInstanceOf(CancelledError);
    await until(() => peerClosed, 'the peer to see the connection close');
  });
});
