/*
 * function-table: the job functions a pool knows. A function is sent to a worker by its
 * source, so it is known by its source (two closures with the same source are one job
 * function, compiled once per worker); an export of the pool's module is known by its name.
 * Each entry also carries what its jobs were measured to take, from which the dispatch
 * policy sizes its batches (dispatch-policy, invariant 1).
 *
 * Invariants
 *   1. A function's id is its index in `#sources`, given once and never reused; an export's
 *      id is EXPORT_FUNCTION_ID and its name travels instead of a source.
 *   2. `resolve()` returns the same JobFunctionInfo for the same function object, source or
 *      export name, so a function's timing is learned in one place.
 *
 * Tested through the executors (test/executor.test.ts: naming work, bad job functions).
 */

import { describeValue } from '@coro/loop';
import { PROTOCOL } from './protocol.js';

/**
 * @internal A job function the pool knows, with what its jobs were measured to take.
 */
export interface JobFunctionInfo {
  /** Index in the pool's function table, or EXPORT_FUNCTION_ID. */
  readonly id: number;
  /** The export's name (module jobs), else null. */
  readonly exportName: string | null;
  /** Moving average of one job's run time (ms); NaN until a job has been measured. */
  averageMs: number;
  /** Jobs per message: 1 until the function is measured short. */
  batch: number;
}

/** @internal The job functions of one pool (see the module header). */
export class FunctionTable {
  readonly #byFunction = new WeakMap<object, JobFunctionInfo>();
  readonly #bySource = new Map<string, JobFunctionInfo>();
  readonly #sources: string[] = [];
  readonly #byExport = new Map<string, JobFunctionInfo>();
  readonly #hasModule: boolean;

  constructor(hasModule: boolean) {
    this.#hasModule = hasModule;
  }

  /** The source of function `id` (not an export). */
  sourceOf(id: number): string {
    return this.#sources[id] as string;
  }

  /**
   * The job function `task` (a function, or an export's name) stands for.
   *
   * @throws TypeError if `task` is neither, is native, bound or a class, or names an
   *   export while the pool has no module.
   */
  resolve(task: unknown): JobFunctionInfo {
    if (typeof task === 'string') return this.#resolveExport(task);
    if (typeof task !== 'function') {
      throw new TypeError(
        `task must be a function or the name of an export of the pool's module; got ${describeValue(task)}`,
      );
    }
    const known = this.#byFunction.get(task);
    if (known !== undefined) return known;
    const source = Function.prototype.toString.call(task);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
      throw new TypeError(
        `task must be a function written in JavaScript (it is sent to the worker by its source); got the native or bound function ${describeValue(task)}`,
      );
    }
    if (/^class\b/.test(source)) {
      throw new TypeError(`task must be a function, not a class; got ${describeValue(task)}`);
    }
    let info = this.#bySource.get(source);
    if (info === undefined) {
      info = unmeasured(this.#sources.length, null);
      this.#sources.push(source);
      this.#bySource.set(source, info);
    }
    this.#byFunction.set(task, info);
    return info;
  }

  #resolveExport(name: string): JobFunctionInfo {
    const known = this.#byExport.get(name);
    if (known !== undefined) return known;
    if (!this.#hasModule) {
      throw new TypeError(
        `task '${name}' names an export, but this pool has no module; pass { module: './tasks.js' } to the pool, or submit a function`,
      );
    }
    const info = unmeasured(PROTOCOL.EXPORT_FUNCTION_ID, name);
    this.#byExport.set(name, info);
    return info;
  }
}

/** A job function not measured yet: its jobs travel alone (dispatch-policy, invariant 1). */
function unmeasured(id: number, exportName: string | null): JobFunctionInfo {
  return { id, exportName, averageMs: Number.NaN, batch: 1 };
}
