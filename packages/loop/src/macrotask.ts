/** @internal Runs `callback` in a later macrotask: setImmediate where the host has it. */
export const macrotask: (callback: () => void) => void =
  typeof setImmediate === 'function'
    ? (callback) => {
        setImmediate(callback);
      }
    : (callback) => {
        setTimeout(callback, 0);
      };

/** @internal Resolves in a later macrotask, after every pending microtask ran. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}
