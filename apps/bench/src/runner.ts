/*
 * The Node runner: runs one workload once, for one peer, and prints the measurement as
 * one JSON number on stdout. The harness starts it in a fresh process per sample, so
 * samples share no JIT or heap state:
 *
 *   node [--expose-gc] dist/runner.js <workload> <coro|node> [--size N]
 */
import { findWorkload, workloads } from './workloads/index.js';

async function main(argv: string[]): Promise<void> {
  const [name, peer, ...rest] = argv;
  const workload = name === undefined ? undefined : findWorkload(name);
  if (workload === undefined) {
    throw new RangeError(
      `workload must be one of ${workloads.map((known) => known.name).join(', ')}; got ${name}`,
    );
  }
  if (peer !== 'coro' && peer !== 'node') {
    throw new RangeError(`peer must be coro or node; got ${peer}`);
  }
  let size = workload.defaultSize;
  if (rest[0] === '--size') size = Number(rest[1]);
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`--size must be an integer >= 1; got ${rest[1]}`);
  }
  const value = peer === 'coro' ? await workload.coro(size) : await workload.node(size);
  process.stdout.write(`${JSON.stringify(value)}\n`);
  // Whatever a workload left behind (a loop's idle timer) must not delay the next sample.
  process.exit(0);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
