/*
 * The browser side of the browser test: runs the shared program on a BrowserLoop, shows
 * its trace in the page, and leaves it (or the error) in `window.coroResult` for the test;
 * `window.coroTrace` holds the lines so far.
 */
import { run } from '@coro/futures';
import { BrowserLoop } from '@coro/loop';
import { program } from './program.js';

type Result = { trace: string[] } | { error: string };

const output = document.querySelector('#trace') as HTMLElement;
const finish = (result: Result): void => {
  (window as unknown as { coroResult: Result }).coroResult = result;
  output.textContent = 'trace' in result ? result.trace.join('\n') : result.error;
};

// The lines so far, for the test to show if the program never ends.
const trace: string[] = [];
(window as unknown as { coroTrace: string[] }).coroTrace = trace;

run(() => program({ baseUrl: location.origin, trace }), { loop: new BrowserLoop() }).then(
  (trace) => finish({ trace }),
  (error: unknown) => finish({ error: String((error as Error)?.stack ?? error) }),
);
