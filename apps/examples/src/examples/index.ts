// The examples, in the order of the tour (`pnpm demo` runs them so).
import type { Example } from '../example.js';
import * as barrier from './barrier.js';
import * as cancel from './cancel.js';
import * as crawler from './crawler.js';
import * as gathered from './gathered.js';
import * as hola from './hola.js';
import * as pipeline from './pipeline.js';
import * as taskGroup from './task-group.js';
import * as timeout from './timeout.js';

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
 * Examples that need a real loop (they serve HTTP on 127.0.0.1), so the demo, which
 * its test runs on a VirtualLoop, leaves them out: `pnpm example <name>` runs them.
 */
export const extras: readonly Example[] = [crawler];

/** The example called `name` (of the tour or the extras), or `undefined`. */
export function findExample(name: string): Example | undefined {
  return [...examples, ...extras].find((example) => example.name === name);
}
