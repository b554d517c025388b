/*
 * The command line, apart from the process: `demo` runs every example in order
 * under a header; `example <name>` runs one; `example` alone lists them (exit code 0).
 * Each example runs in its own `run()`, so each gets a fresh loop, as each
 * `asyncio.run()` does.
 *
 * Kept free of `process` so that a test can run it on a VirtualLoop and read
 * what it prints and the exit code it returns.
 */
import { type Loop, run } from 'coro';
import { type Example, type Output, UsageError } from './example.js';
import { examples, extras, findExample } from './examples/index.js';

/** Exit code for a command used wrongly (unknown command or example), as shells use 2. */
export const USAGE_ERROR = 2;

export interface CommandOptions {
  /** Where the examples and headers print. @defaultValue console.log */
  out?: Output;
  /** Where usage errors print. @defaultValue console.error */
  error?: Output;
  /** Makes the loop each example runs on. @defaultValue none: `run()` makes a NodeLoop */
  newLoop?: () => Loop;
}

/** Runs `demo` or `example <name>` and resolves to the process's exit code. */
export async function runCommand(
  args: readonly string[],
  options: CommandOptions = {},
): Promise<number> {
  const { out = console.log, error = console.error, newLoop } = options;
  const [command, ...rest] = args;
  const runExample = (example: Example, exampleArgs: readonly string[] = []) =>
    run(() => example.main(out, exampleArgs), {
      ...(newLoop === undefined ? {} : { loop: newLoop() }),
    });

  if (command === 'demo' && rest.length === 0) {
    for (const [index, example] of examples.entries()) {
      if (index > 0) out('');
      out(header(example, index));
      await runExample(example);
    }
    return 0;
  }
  if (command === 'example' && rest.length === 0) {
    // Asking what there is is not a mistake: the list goes to `out`, and the exit code is 0.
    out('the examples (run one with pnpm example <name>; pnpm demo runs the tour):');
    listExamples(out);
    return 0;
  }
  // `example <name> [--option value ...]`: what follows the name are its options.
  const [name, ...exampleArgs] = rest;
  const onlyOptions = exampleArgs.length === 0 || exampleArgs[0]!.startsWith('--');
  if (command === 'example' && name !== undefined && onlyOptions) {
    const example = findExample(name);
    if (example === undefined) {
      error(`unknown example: ${name}`);
    } else if (exampleArgs.length > 0 && example.usage === undefined) {
      error(`${name} takes no options; got ${exampleArgs.join(' ')}`);
      return USAGE_ERROR;
    } else {
      try {
        await runExample(example, exampleArgs);
        return 0;
      } catch (failure) {
        if (!(failure instanceof UsageError)) throw failure;
        error(failure.message);
        error(`usage: pnpm example ${name} ${example.usage}`);
        return USAGE_ERROR;
      }
    }
  } else if (command === 'example') {
    error('give one example name');
  } else {
    error(`unknown command: ${args.join(' ') || '(none)'}; expected demo or example <name>`);
  }
  error('usage: pnpm example <name>, one of:');
  listExamples(error);
  return USAGE_ERROR;
}

/** One line per example: its name, then its title. */
function listExamples(print: Output): void {
  for (const example of [...examples, ...extras])
    print(`  ${example.name.padEnd(width())}  ${example.title}`);
}

function header(example: Example, index: number): string {
  return `=== ${index + 1}/${examples.length} ${example.name}: ${example.title} ===`;
}

function width(): number {
  return Math.max(...[...examples, ...extras].map((example) => example.name.length));
}
