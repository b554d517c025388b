import { VirtualLoop } from 'coro';
import { describe, expect, it } from 'vitest';
import { runCommand, USAGE_ERROR } from '../src/command.js';
import { examples } from '../src/examples/index.js';

/** Runs the command line with every example on a VirtualLoop; collects both outputs. */
async function command(...args: string[]) {
  const out: string[] = [];
  const error: string[] = [];
  const exitCode = await runCommand(args, {
    out: (line) => out.push(line),
    error: (line) => error.push(line),
    newLoop: () => new VirtualLoop({ autojump: true }),
  });
  return { exitCode, out, error };
}

const listing = [
  'usage: pnpm example <name>, one of:',
  '  hola                 A coroutine: await pauses it, the loop resumes it',
  '  gathered             Three tasks at once, collected with gather()',
  '  cancel               Cancelling a task: CancelledError thrown in at its await',
  '  timeout              A deadline around a slow operation: timeout() and TimeoutError',
  '  task-group           A task group: one failure cancels the rest, errors come back as a group',
  '  pipeline             Producers and consumers on a bounded queue, with join()',
  '  barrier              Workers meeting at a Barrier between phases',
  '  crawler              A crawler: Semaphore, taskGroup, per-request timeout, fetch on task.signal',
  '  tcp-echo             A TCP echo server and client on streams: startServer, openConnection, drain',
  '  udp-echo             A UDP echo server and client: createDatagramEndpoint and DatagramProtocol',
  '  unix-echo            An echo server and client on a Unix domain socket',
  '  tls-echo             An echo server and client over TLS, with a certificate made by openssl',
  '  chat                 A chat server: a bounded outbox Queue per client, /nick, clean Ctrl-C',
  '  mini-redis           A Redis server: RESP2, pipelining, expiry, pub/sub through queues',
  "  hash-files           A directory's files hashed on a thread pool, with a progress bar",
  '  primes               A prime sieve split over a process pool: ProcessPoolExecutor.map',
  '  subprocess-pipeline  ls | grep | wc as three subprocesses, connected through streams',
  '  distributed-primes   The prime sieve over coro-worker processes, through Redis: QueueExecutor',
];

describe('the examples', () => {
  it('follow the tour: hola, gathered, cancel, timeout, task-group, then pipeline and barrier', () => {
    expect(examples.map((example) => example.name)).toEqual([
      'hola',
      'gathered',
      'cancel',
      'timeout',
      'task-group',
      'pipeline',
      'barrier',
    ]);
  });
});

describe('demo', () => {
  it('runs every example in order, each under a numbered header, and exits 0', async () => {
    const { exitCode, out, error } = await command('demo');

    expect(exitCode).toBe(0);
    expect(error).toEqual([]);
    expect(out.filter((line) => line.startsWith('==='))).toEqual([
      '=== 1/7 hola: A coroutine: await pauses it, the loop resumes it ===',
      '=== 2/7 gathered: Three tasks at once, collected with gather() ===',
      '=== 3/7 cancel: Cancelling a task: CancelledError thrown in at its await ===',
      '=== 4/7 timeout: A deadline around a slow operation: timeout() and TimeoutError ===',
      '=== 5/7 task-group: A task group: one failure cancels the rest, errors come back as a group ===',
      '=== 6/7 pipeline: Producers and consumers on a bounded queue, with join() ===',
      '=== 7/7 barrier: Workers meeting at a Barrier between phases ===',
    ]);
    expect(out.slice(0, 4)).toEqual([
      '=== 1/7 hola: A coroutine: await pauses it, the loop resumes it ===',
      'An async function is a coroutine: at each `await` it pauses, the event loop',
      'runs whatever else is ready, and resumes it once what it awaits is done.',
      'holacoro() sleeps one second and says hola, three times:',
    ]);
    expect(out.filter((line) => line === '')).toHaveLength(6); // a blank line between examples
  });
});

describe('example <name>', () => {
  it('runs that example alone, without a header, and exits 0', async () => {
    const { exitCode, out, error } = await command('example', 'hola');

    expect(exitCode).toBe(0);
    expect(error).toEqual([]);
    expect(out.filter((line) => line.startsWith('Hola'))).toEqual(['Hola 0', 'Hola 1', 'Hola 2']);
    expect(out.some((line) => line.startsWith('==='))).toBe(false);
  });

  it('lists the examples on stdout and exits 0 when no name is given', async () => {
    const { exitCode, out, error } = await command('example');

    expect(exitCode).toBe(0);
    expect(error).toEqual([]);
    expect(out).toEqual([
      'the examples (run one with pnpm example <name>; pnpm demo runs the tour):',
      ...listing.slice(1),
    ]);
  });

  it('lists the examples and exits 2 when no example has that name', async () => {
    const { exitCode, out, error } = await command('example', 'holla');

    expect(exitCode).toBe(USAGE_ERROR);
    expect(out).toEqual([]);
    expect(error).toEqual(['unknown example: holla', ...listing]);
  });

  it('exits 2 when an example that takes no options is given some', async () => {
    const { exitCode, out, error } = await command('example', 'hola', '--fast');

    expect(exitCode).toBe(2);
    expect(out).toEqual([]);
    expect(error).toEqual(['hola takes no options; got --fast']);
  });

  it("exits 2 with the example's usage when an option is unknown or wrong", async () => {
    const unknown = await command('example', 'mini-redis', '--prot', '1');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.error).toEqual([
      'unknown option --prot',
      'usage: pnpm example mini-redis [--port <n>] [--host <address>] [--timeout <seconds>] [--client-query-buffer-limit <bytes, e.g. 64mb>] [--shutdown-timeout <seconds>]  (defaults: 127.0.0.1:6380, 0 = no idle timeout, 1gb, 10)',
    ]);

    const badPort = await command('example', 'chat', '--port', 'eighty');
    expect(badPort.exitCode).toBe(2);
    expect(badPort.error[0]).toBe('--port must be an integer from 0 to 65535; got eighty');
  });

  it('exits 2 when given more than one name', async () => {
    const { exitCode, error } = await command('example', 'hola', 'cancel');

    expect(exitCode).toBe(2);
    expect(error).toEqual(['give one example name', ...listing]);
  });
});

describe('an unknown command', () => {
  it('lists the examples and exits 2', async () => {
    const { exitCode, error } = await command('tour');

    expect(exitCode).toBe(2);
    expect(error).toEqual(['unknown command: tour; expected demo or example <name>', ...listing]);
  });
});
