/*
 * The Node runner: runs one workload once, for one Node-side peer, and prints the
 * measurement as one line of JSON on stdout (a number, or an object of named numbers).
 * The harness starts it in a fresh process per sample, so samples share no JIT or heap
 * state:
 *
 *   node [--expose-gc] dist/runner.js <workload> <coro|node|effect|piscina|tinypool|redis>
 *        [--variant V] [--size N]
 */
import { parseArgs } from 'node:util';
import { isNodePeer, NODE_PEERS, type Peer } from './workload.js';
import { findWorkload, workloads } from './workloads/index.js';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { variant: { type: 'string' }, size: { type: 'string' } },
  });
  const [name, peer] = positionals;
  const workload = name === undefined ? undefined : findWorkload(name);
  if (workload === undefined) {
    throw new RangeError(
      `workload must be one of ${workloads.map((known) => known.name).join(', ')}; got ${name}`,
    );
  }
  const run = peer !== undefined && isNodePeer(peer as Peer) ? workload[peer as 'coro'] : undefined;
  if (run === undefined) {
    throw new RangeError(
      `peer must be one of ${NODE_PEERS.filter((known) => workload[known] !== undefined).join(', ')} for ${workload.name}; got ${peer}`,
    );
  }
  const size = values.size === undefined ? workload.defaultSize : Number(values.size);
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`--size must be an integer >= 1; got ${values.size}`);
  }
  const value = await run.call(workload, size, values.variant);
  process.stdout.write(`${JSON.stringify(value)}\n`);
  // Whatever a workload left behind (a loop's idle timer) must not delay the next sample.
  process.exit(0);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
