// The examples, in the order of the tour (`pnpm demo` runs them so).
import type { Example } from '../example.js';
import * as barrier from './barrier.js';
import * as cancel from './cancel.js';
import * as chat from './chat.js';
import * as crawler from './crawler.js';
import * as distributedPrimes from './distributed-primes/index.js';
import * as gathered from './gathered.js';
import * as hashFiles from './hash-files.js';
import * as hola from './hola.js';
import * as miniRedis from './mini-redis/index.js';
import * as pipeline from './pipeline.js';
import * as primes from './primes.js';
import * as subprocessPipeline from './subprocess-pipeline.js';
import * as taskGroup from './task-group.js';
import * as tcpEcho from './tcp-echo.js';
import * as timeout from './timeout.js';
import * as tlsEcho from './tls-echo.js';
import * as udpEcho from './udp-echo.js';
import * as unixEcho from './unix-echo.js';

export const examples: readonly Example[] = [
  hola,
  gathered,
  cancel,
  timeout,
  taskGroup,
  pipeline,
  barrier,
];

/**
 * Examples that need a real loop: sockets on 127.0.0.1, threads, processes, or servers
 * that run until Ctrl-C. The demo, which its test runs on a VirtualLoop, leaves them
 * out; `pnpm example <name>` runs them.
 */
export const extras: readonly Example[] = [
  crawler,
  tcpEcho,
  udpEcho,
  unixEcho,
  tlsEcho,
  chat,
  miniRedis,
  hashFiles,
  primes,
  subprocessPipeline,
  distributedPrimes,
];

/** The example called `name` (of the tour or the extras), or `undefined`. */
export function findExample(name: string): Example | undefined {
  return [...examples, ...extras].find((example) => example.name === name);
}
