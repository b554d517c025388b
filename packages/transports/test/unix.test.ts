import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUnixConnection, createUnixServer } from '../src/index.js';
import { Echo, Recorder } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'coro-unix-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let count = 0;
const socketPath = () => join(directory, `s${count++}.sock`);

describe('Unix sockets', () => {
  it('echoes through createUnixServer and createUnixConnection', async () => {
    const path = socketPath();
    const server = await createUnixServer(() => new Echo(), path);

    const [transport, protocol] = await createUnixConnection(() => new Recorder(), path);
    transport.write('over a path');
    await protocol.received(11);

    expect(protocol.text()).toBe('over a path');
    expect(server.addresses()).toEqual([path]);
    expect(transport.getExtraInfo('peername')).toBe(path);
    expect(transport.canWriteEof()).toBe(true);
    transport.close();
    server.close();
    await server.waitClosed();
  });

  it('gives the server side the path as sockname', async () => {
    const path = socketPath();
    const accepted: Recorder[] = [];
    const server = await createUnixServer(() => {
      const recorder = new Recorder();
      accepted.push(recorder);
      return recorder;
    }, path);

    const [transport] = await createUnixConnection(() => new Recorder(), path);
    const serverTransport = await (accepted[0] ?? new Recorder()).made;

    expect(serverTransport.getExtraInfo('sockname')).toBe(path);
    transport.abort();
    server.close();
    server.abortClients();
    await server.waitClosed();
  });

  it('removes a stale socket file before binding, and the file on close', async () => {
    const path = socketPath();
    // A process killed while listening leaves its socket file behind.
    spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(existsSync(path)).toBe(true);

    const server = await createUnixServer(() => new Echo(), path);
    const [transport] = await createUnixConnection(() => new Recorder(), path);
    transport.abort();
    server.close();
    await server.waitClosed();

    expect(existsSync(path)).toBe(false);
  });

  it('refuses to remove a regular file in the way', async () => {
    const path = socketPath();
    writeFileSync(path, 'not a socket');

    await expect(createUnixServer(() => new Echo(), path)).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });

    expect(existsSync(path)).toBe(true);
  });

  it('rejects with ENOENT or ECONNREFUSED when nothing listens', async () => {
    await expect(createUnixConnection(() => new Recorder(), socketPath())).rejects.toMatchObject({
      code: expect.stringMatching(/^(ENOENT|ECONNREFUSED)$/),
    });
  });

  it('validates the path', async () => {
    await expect(createUnixServer(() => new Echo(), '')).rejects.toBeInstanceOf(RangeError);
    await expect(createUnixConnection(() => new Recorder(), 42 as never)).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});
