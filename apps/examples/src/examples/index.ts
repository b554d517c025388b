// The examples, in the order of the tour (`pnpm demo` runs them so).
import type { Example } from '../example.js';
import * as barrier from './barrier.js';
import * as cancel from './cancel.js';
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

/** The example called `name`, or `undefined`. */
export function findExample(name: string): Example | undefined {
  return examples.find((example) => example.name === name);
}
