/*
 * Introspection (issue 15): snapshotTasks() is what `coro ps` shows; enableIntrospection()
 * serves it on a private Unix socket. The `coro` CLI is tested against a real child
 * process in packages/coro/test/cli.test.ts.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTask,
  enableIntrospection,
  Future,
  gather,
  type IntrospectionSnapshot,
  introspectionSocketPath,
  run,
  sleep,
  snapshotTasks,
} from '../src/index.js';
import { runVirtual } from './helpers.js';

function readSnapshot(path: string): Promise<IntrospectionSnapshot> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(path);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('end', () => resolve(JSON.parse(text)));
    socket.on('error', reject);
  });
}

describe('snapshotTasks', () => {
  it('lists each pending task with its state, what it awaits, and the tasks it waits for', async () => {
    const snapshot = await runVirtual(async () => {
      const reply = new Future<string>({ name: 'reply' });
      const fetcher = createTask(() => reply, { name: 'fetcher' });
      const sleeper = createTask(() => sleep(60_000), { name: 'sleeper' });
      const parent = createTask(() => gather([fetcher, sleeper]), { name: 'parent' });
      createTask(async () => {}, { name: 'late' });
      await sleep(0);
      createTask(async () => {}, { name: 'not yet' });
      const taken = snapshotTasks();
      parent.cancel();
      return taken;
    });

    const byName = new Map(snapshot.tasks.map((task) => [task.name, task]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['fetcher', 'sleeper', 'parent', 'not yet']),
    );
    expect(byName.has('late')).toBe(false); // finished: no longer pending
    expect(byName.get('fetcher')).toMatchObject({
      state: 'waiting',
      awaiting: "Future 'reply' pending",
      waitsFor: [],
    });
    expect(byName.get('sleeper')?.awaiting).toMatch(/^sleep\(60000 ms/);
    expect([...(byName.get('parent')?.waitsFor ?? [])].sort()).toEqual(
      [byName.get('fetcher')?.id, byName.get('sleeper')?.id].sort(),
    );
    expect(byName.get('not yet')).toMatchObject({ state: 'not started', awaiting: null });
    expect(snapshot.pid).toBe(process.pid);
    expect(snapshot.version).toBe(1);
  });

  it('knows no waiting time while introspection is off', async () => {
    const snapshot = await runVirtual(async () => {
      const sleeper = createTask(() => sleep(1_000), { name: 'sleeper' });
      await sleep(0);
      const taken = snapshotTasks();
      sleeper.cancel();
      return taken;
    });

    expect(snapshot.tasks.find((task) => task.name === 'sleeper')?.waitingMs).toBeNull();
  });
});

describe('enableIntrospection', () => {
  let temporary: string;
  let previousTmpdir: string | undefined;
  beforeEach(() => {
    temporary = mkdtempSync(join(tmpdir(), 'coro-introspection-test-'));
    previousTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = temporary; // os.tmpdir() reads it on each call
  });
  afterEach(() => {
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
    rmSync(temporary, { recursive: true, force: true });
  });

  it('listens on <tmpdir>/coro-<uid>/<pid>.sock, private to the user, and serves a snapshot', async () => {
    const introspection = await enableIntrospection();
    try {
      const path = introspectionSocketPath(process.pid);
      const snapshot = await run(async () => {
        const waiter = createTask(() => new Future<void>({ name: 'never' }), { name: 'waiter' });
        await sleep(20);
        const read = await readSnapshot(path);
        waiter.cancel();
        return read;
      });

      expect(introspection.path).toBe(
        join(temporary, `coro-${process.getuid?.()}`, `${process.pid}.sock`),
      );
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(temporary, `coro-${process.getuid?.()}`)).mode & 0o777).toBe(0o700);
      const waiter = snapshot.tasks.find((task) => task.name === 'waiter');
      expect(waiter).toMatchObject({ state: 'waiting', awaiting: "Future 'never' pending" });
      expect(waiter?.waitingAtLeast).toBe(false);
      expect(waiter?.waitingMs).toBeGreaterThanOrEqual(0);
    } finally {
      await introspection.close();
    }
    expect(existsSync(introspection.path)).toBe(false);
  });

  it('refuses a socket directory that others can enter', async () => {
    const directory = join(temporary, `coro-${process.getuid?.()}`);
    mkdirSync(directory);
    chmodSync(directory, 0o755);

    await expect(enableIntrospection()).rejects.toThrow(
      /must be a directory owned by uid \d+ with mode 0700; got owner \d+, mode 755/,
    );
  });

  it('rejects a pid that is not a positive integer', () => {
    expect(() => introspectionSocketPath(0)).toThrow(
      new RangeError('pid must be a positive integer; got 0'),
    );
  });
});
