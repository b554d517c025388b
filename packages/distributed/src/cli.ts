/*
 * cli: the `coro-worker` command. Parses its options, serves the queue with serveQueue,
 * prints one ready line, a progress line at most once a second while jobs finish, and
 * on SIGTERM (or SIGINT) closes the worker: running jobs get `--grace-ms` to finish and
 * are then handed back to the queue; a second signal hands them back at once.
 */

import { parseArgs } from 'node:util';
import { run } from '@coro/futures';
import { bullConnection, describeConnection } from './connection.js';
import { type QueueWorker, type QueueWorkerEvent, serveQueue } from './serve-queue.js';

const USAGE = `usage: coro-worker --redis <url> --queue <name> --module <jobs.js>
                   [--concurrency <n>] [--processes <n>] [--prefix <prefix>]
                   [--grace-ms <ms>] [--lock-duration-ms <ms>] [--stalled-interval-ms <ms>]`;

/** Where the command writes: replaced in tests. */
export interface CliOutput {
  out: (line: string) => void;
  error: (line: string) => void;
}

const console_: CliOutput = {
  out: (line) => writeLine(process.stdout, line),
  error: (line) => writeLine(process.stderr, line),
};

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * Writes a line, unless nobody reads the stream any more: a closed pipe (EPIPE) ends the
 * output, not the worker and its running jobs.
 */
function writeLine(stream: NodeJS.WriteStream, line: string): void {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', () => {}); // EPIPE and the like: the lines are lost, the jobs are not
  }
  if (stream.destroyed || !stream.writable) return;
  stream.write(`${line}\n`);
}

function integer(value: string | undefined, option: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new RangeError(`--${option} must be an integer >= ${min}; got ${value}`);
  }
  return number;
}

/**
 * @internal Runs the command with `args` (without `node` and the script); resolves to the
 * exit code once the worker has closed.
 */
export async function main(args: readonly string[], output: CliOutput = console_): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        redis: { type: 'string' },
        queue: { type: 'string' },
        module: { type: 'string' },
        concurrency: { type: 'string' },
        processes: { type: 'string' },
        prefix: { type: 'string' },
        'grace-ms': { type: 'string' },
        'lock-duration-ms': { type: 'string' },
        'stalled-interval-ms': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    output.error(`coro-worker: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    output.out(USAGE);
    return 0;
  }
  const redis = values.redis as string | undefined;
  const queue = values.queue as string | undefined;
  const module = values.module as string | undefined;
  if (redis === undefined || queue === undefined || module === undefined) {
    output.error(`coro-worker: --redis, --queue and --module are required\n${USAGE}`);
    return 2;
  }
  let options: Parameters<typeof serveQueue>[0];
  try {
    options = {
      queue,
      connection: redis,
      module,
      prefix: values.prefix as string | undefined,
      concurrency: integer(values.concurrency as string | undefined, 'concurrency', 1),
      processes: integer(values.processes as string | undefined, 'processes', 0),
      graceMs: integer(values['grace-ms'] as string | undefined, 'grace-ms', 0),
      lockDurationMs: integer(
        values['lock-duration-ms'] as string | undefined,
        'lock-duration-ms',
        1,
      ),
      stalledIntervalMs: integer(
        values['stalled-interval-ms'] as string | undefined,
        'stalled-interval-ms',
        1,
      ),
    };
    bullConnection(redis, '--redis');
  } catch (error) {
    output.error(`coro-worker: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const where = describeConnection(bullConnection(redis, '--redis'));
  return run(
    async () => {
      let changed = false;
      let lastError = '';
      const onEvent = (event: QueueWorkerEvent) => {
        if (event.type === 'error') {
          // A connection outage repeats the same error: print it once per change.
          if (event.error.message !== lastError)
            output.error(`coro-worker: ${event.error.message}`);
          lastError = event.error.message;
          return;
        }
        lastError = '';
        if (event.type === 'failed') {
          output.error(
            `coro-worker: job ${event.jobId} (${event.name}) failed: ${event.error.message}`,
          );
        }
        if (event.type !== 'started') changed = true;
      };
      let worker: QueueWorker;
      try {
        worker = await serveQueue({ ...options, onEvent });
      } catch (error) {
        output.error(`coro-worker: ${(error as Error).message}`);
        return 1;
      }
      const progress = () => {
        if (!changed) return;
        changed = false;
        const { completed, failed, cancelled, handedBack } = worker.counts;
        output.out(
          `progress: ${completed} completed, ${failed} failed, ${cancelled} cancelled, ${handedBack} handed back, ${worker.running} running`,
        );
      };
      const ticker = setInterval(progress, 1_000);
      let signals = 0;
      let closedBySignal: () => void = () => {};
      const closed = new Promise<void>((resolve) => {
        closedBySignal = resolve;
      });
      const stop = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          output.out(
            `coro-worker: ${signal}: finishing ${worker.running} running jobs (then handing them back)`,
          );
          worker.close().then(closedBySignal, closedBySignal);
        } else {
          output.out(`coro-worker: ${signal} again: handing the running jobs back now`);
          void worker.close({ graceMs: 0 });
        }
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      output.out(
        `coro-worker ready: queue ${queue} on ${where}, module ${module}, concurrency ${worker.concurrency}${
          options.processes ? `, ${options.processes} processes` : ''
        }, pid ${process.pid}`,
      );
      await closed;
      clearInterval(ticker);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      changed = true;
      progress();
      output.out('coro-worker: stopped');
      return 0;
    },
    { handleSignals: false },
  ); // SIGTERM and SIGINT close the worker (above), not cancel main
}
