import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The real clock, in milliseconds. */
export const now: () => number = () => performance.now();

/** `count` operations over the time since `startedMs`, per second. */
export function perSecond(count: number, startedMs: number): number {
  return count / ((now() - startedMs) / 1000);
}

let collect: (() => void) | undefined;

/**
 * A full garbage collection. The runner starts memory workloads with `--expose-gc`;
 * elsewhere (the vitest check) the flag is switched on at run time.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') {
      collect = exposed;
    } else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
  collect();
}

/** Bytes in use on the V8 heap, after a full collection. */
export function heapUsedAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
