/*
 * format-error: how the default exception handler writes an error, so a report
 * never hides the cause.
 *
 * Invariants
 *   1. An error prints as its stack (`Name: message` and the frames); anything
 *      else as `String(value)`.
 *   2. A group (an error with an `errors` array: AggregateError, ExceptionGroup)
 *      says how many errors it holds, then prints every one of them, numbered, each
 *      under a `|` bar, nested groups indented one step further: the layout of
 *      Python's traceback for an ExceptionGroup. At most MAX_GROUP_ERRORS per group
 *      and MAX_DEPTH levels are printed; the rest are counted.
 *   3. A `cause` prints under its error as `[cause]: …` (as Node's inspect does).
 *   4. Never throws, whatever the value (a throwing getter, a cycle).
 *
 * Tested by test/base-loop.test.ts ("what the default exception handler prints").
 */

const MAX_GROUP_ERRORS = 15;
const MAX_DEPTH = 10;
const RULE = '----------------';

/** @internal The lines of `value` as the default exception handler prints it. */
export function formatError(value: unknown): string[] {
  return linesOf(value, 0, new Set());
}

function linesOf(value: unknown, depth: number, seen: Set<unknown>): string[] {
  if (!(value instanceof Error))
    return String(safely(() => String(value), '<unprintable>')).split('\n');
  if (seen.has(value)) return [`<circular reference to ${headOf(value)}>`];
  seen.add(value);
  const errors = safely(() => (value as { errors?: unknown }).errors, undefined);
  const isGroup = Array.isArray(errors) && errors.length > 0;
  const lines = stackOf(value, isGroup ? (errors as unknown[]).length : 0);
  const cause = safely(() => value.cause, undefined);
  if (cause !== undefined && depth < MAX_DEPTH) {
    const causeLines = linesOf(cause, depth + 1, seen);
    lines.push(`[cause]: ${causeLines[0]}`, ...causeLines.slice(1).map((line) => `  ${line}`));
  }
  if (isGroup) lines.push(...groupLines(errors as unknown[], '', depth, seen));
  seen.delete(value);
  return lines;
}

/** The numbered blocks of a group's errors, at `indent` (invariant 2). */
function groupLines(
  errors: unknown[],
  indent: string,
  depth: number,
  seen: Set<unknown>,
): string[] {
  if (depth >= MAX_DEPTH) return [`${indent}  | … ${errors.length} more (nested too deep)`];
  const lines: string[] = [];
  const shown = Math.min(errors.length, MAX_GROUP_ERRORS);
  for (let i = 0; i < shown; i++) {
    lines.push(`${indent}${i === 0 ? '+-+' : '  +'}${RULE} ${i + 1} ${RULE}`);
    const error = errors[i];
    const innerErrors = safely(() => (error as { errors?: unknown })?.errors, undefined);
    if (error instanceof Error && Array.isArray(innerErrors) && innerErrors.length > 0) {
      seen.add(error);
      for (const line of stackOf(error, innerErrors.length)) lines.push(`${indent}  | ${line}`);
      lines.push(...groupLines(innerErrors, `${indent}  `, depth + 1, seen));
      seen.delete(error);
    } else {
      for (const line of linesOf(error, depth + 1, seen)) lines.push(`${indent}  | ${line}`);
    }
  }
  if (errors.length > shown) {
    lines.push(`${indent}  +${RULE} ... ${RULE}`, `${indent}  | and ${errors.length - shown} more`);
  }
  lines.push(`${indent}  +${RULE}${RULE}${'-'.repeat(4)}`);
  return lines;
}

/** The error's stack lines; a group's first line says how many it holds. */
function stackOf(error: Error, groupSize: number): string[] {
  const stack = safely(() => error.stack, undefined);
  const head = headOf(error);
  const lines = typeof stack === 'string' && stack.length > 0 ? stack.split('\n') : [head];
  if (groupSize > 0) {
    const suffix = ` (${groupSize} sub-exception${groupSize === 1 ? '' : 's'})`;
    // The stack begins with `Name: message`, which may span lines: mark its last one.
    const headLines = head.split('\n').length;
    const last = lines[headLines - 1] === undefined ? 0 : headLines - 1;
    lines[last] = `${lines[last]}${suffix}`;
  }
  return lines;
}

function headOf(error: Error): string {
  return safely(
    () => (error.message ? `${error.name}: ${error.message}` : String(error.name)),
    'Error',
  );
}

function safely<T, D>(read: () => T, fallback: D): T | D {
  try {
    return read();
  } catch {
    return fallback;
  }
}
