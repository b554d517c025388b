/*
 * unretrieved: "exception was never retrieved" reports.
 *
 * A future that completes with an exception is registered with a
 * FinalizationRegistry; result(), exception() or an await unregister it. If it is
 * collected still registered, nobody ever looked at its exception, and the loop's
 * exception handler hears of it (asyncio reports from __del__ likewise). The
 * report holds the exception and a description, never the future itself.
 */

import type { BaseLoop } from '@coro/loop';

interface UnretrievedReport {
  loop: BaseLoop;
  exception: unknown;
  description: string;
  createdAt: string | null;
}

interface Reportable {
  readonly loop: BaseLoop;
  describeKind(): string;
  createdAt?: string | null;
}

function report(held: UnretrievedReport): void {
  held.loop.callExceptionHandler({
    message: `${held.description} exception was never retrieved`,
    exception: held.exception,
    future: held.description,
    ...(held.createdAt === null ? {} : { createdAt: held.createdAt }),
  });
}

const registry: FinalizationRegistry<UnretrievedReport> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(report) : null;

/** @internal Starts tracking `future`'s exception; returns whether it is tracked. */
export function trackUnretrieved(future: Reportable, exception: unknown): boolean {
  if (registry === null) return false;
  registry.register(
    future,
    {
      loop: future.loop,
      exception,
      description: future.describeKind(),
      createdAt: future.createdAt ?? null,
    },
    future,
  );
  return true;
}

/** @internal Stops tracking: the exception was retrieved. */
export function forgetUnretrieved(future: Reportable): void {
  registry?.unregister(future);
}
