/*
 * module-url: how a `module` option (the pools', serveQueue's) names the module whose
 * exports jobs run: a path, relative to the current directory, or a file: URL, turned
 * into the file: URL string `import()` takes in a worker.
 *
 * Tested by test/module-url.test.ts and through the pools' `module` option.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeValue } from '@coro/loop';

/**
 * A `module` option as the file: URL string a worker passes to `import()`: a path is
 * resolved against the current directory, a `file:` URL (string or URL) kept. The pools
 * and `serveQueue` read their `module` option with it; an executor of your own that
 * takes the same option can too.
 *
 * @param argument how the value is named in the error. @defaultValue 'options.module'
 * @throws TypeError if `module` is not a non-empty string or URL, or is a URL of another
 *   scheme (`options.module must be a file: URL or a path; got https://…`).
 * @example
 * ```ts
 * import { moduleUrlOf } from '@coro/workers';
 *
 * console.log(moduleUrlOf('/srv/jobs.js')); // file:///srv/jobs.js
 * console.log(moduleUrlOf(new URL('file:///srv/jobs.js'))); // file:///srv/jobs.js
 * console.log(moduleUrlOf('./jobs.js').startsWith('file:')); // true (from process.cwd())
 * ```
 */
export function moduleUrlOf(module: string | URL, argument = 'options.module'): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') {
      throw new TypeError(`${argument} must be a file: URL or a path; got ${module.href}`);
    }
    return module.href;
  }
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(`${argument} must be a path or a file: URL; got ${describeValue(module)}`);
  }
  if (module.startsWith('file:')) return new URL(module).href;
  return pathToFileURL(resolve(module)).href;
}
