import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TimerHandle, VirtualLoop } from '../src/index.js';

type Operation =
  | { kind: 'callLater'; delayMs: number }
  | { kind: 'callAt'; whenMs: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'cancelWhenFired'; firer: number; victim: number }
  | { kind: 'advance'; ms: number };

const anyOperation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('callLater' as const),
      delayMs: fc.oneof(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 60, noNaN: true, noDefaultInfinity: true }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('callAt' as const),
      whenMs: fc.integer({ min: -20, max: 120 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('cancelWhenFired' as const),
      firer: fc.nat(),
      victim: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 40 }),
    }),
  },
);

interface ModelTimer {
  id: number;
  whenMs: number;
  cancelled: boolean;
  fired: boolean;
}

/** What must fire during advance(ms) from `now`: [id, time it fires at], in order. */
function expectedFirings(
  timers: ModelTimer[],
  cancelsOnFire: Map<number, number[]>,
  now: number,
  target: number,
): [number, number][] {
  // (when, sequence) order; ids are sequence numbers and sort() is stable.
  const due = timers.filter((timer) => !timer.fired && !timer.cancelled && timer.whenMs <= target);
  due.sort((a, b) => a.whenMs - b.whenMs);
  const firings: [number, number][] = [];
  for (const timer of due) {
    if (timer.cancelled) continue; // cancelled by a timer that fired before it
    timer.fired = true;
    firings.push([timer.id, Math.max(timer.whenMs, now)]); // the clock never moves backwards
    for (const victim of cancelsOnFire.get(timer.id) ?? []) {
      const victimTimer = timers[victim];
      if (victimTimer !== undefined && !victimTimer.fired) victimTimer.cancelled = true;
    }
  }
  return firings;
}

describe('timer heap (property, through a VirtualLoop)', () => {
  it('fires exactly the non-cancelled timers, in (when, sequence) order, each at its deadline', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyOperation, { maxLength: 60 }), async (operations) => {
        const loop = new VirtualLoop();
        const handles: TimerHandle[] = [];
        const model: ModelTimer[] = [];
        const cancelsOnFire = new Map<number, number[]>();
        const fired: [number, number][] = [];
        const expected: [number, number][] = [];

        const fire = (id: number): void => {
          fired.push([id, loop.time()]);
          for (const victim of cancelsOnFire.get(id) ?? []) handles[victim]?.cancel();
        };
        const advance = async (ms: number): Promise<void> => {
          const now = loop.time();
          expected.push(...expectedFirings(model, cancelsOnFire, now, now + ms));
          await loop.advance(ms);
          expect(loop.time()).toBe(now + ms);
        };

        for (const operation of operations) {
          switch (operation.kind) {
            case 'callLater': {
              const id = handles.length;
              const handle = loop.callLater(operation.delayMs, fire, id);
              expect(handle.when()).toBe(loop.time() + operation.delayMs);
              handles.push(handle);
              model.push({ id, whenMs: handle.when(), cancelled: false, fired: false });
              break;
            }
            case 'callAt': {
              const id = handles.length;
              handles.push(loop.callAt(operation.whenMs, fire, id));
              model.push({ id, whenMs: operation.whenMs, cancelled: false, fired: false });
              break;
            }
            case 'cancel': {
              if (handles.length === 0) break;
              const index = operation.pick % handles.length;
              handles[index]?.cancel();
              const timer = model[index];
              if (timer !== undefined && !timer.fired) timer.cancelled = true;
              break;
            }
            case 'cancelWhenFired': {
              if (handles.length === 0) break;
              const firer = operation.firer % handles.length;
              const victim = operation.victim % handles.length;
              if (firer === victim) break;
              cancelsOnFire.set(firer, [...(cancelsOnFire.get(firer) ?? []), victim]);
              break;
            }
            case 'advance':
              await advance(operation.ms);
              break;
          }
        }
        await advance(200); // past every deadline scheduled above

        expect(fired).toEqual(expected);
        expect(loop.nextTimerWhen()).toBeUndefined();
        loop.close();
      }),
      { numRuns: 1_000 },
    );
  });

  it('keeps the heap O(live timers) whatever is cancelled', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 3_000 }),
        fc.array(fc.nat(), { maxLength: 3_000 }),
        (cancelFlags, laterCancels) => {
          const loop = new VirtualLoop();
          const handles: TimerHandle[] = [];
          for (const [index, cancelNow] of cancelFlags.entries()) {
            const handle = loop.callLater(index % 97, () => {});
            handles.push(handle);
            if (cancelNow) handle.cancel();
          }
          for (const pick of laterCancels) handles[pick % handles.length]?.cancel();

          const live = handles.filter((handle) => !handle.cancelled()).length;
          // Cancelled timers may linger until they outnumber the live ones (plus a
          // small constant allowance), never more.
          expect(loop.timerHeapSize).toBeLessThanOrEqual(2 * live + 100);
          expect(loop.timerHeapSize).toBeGreaterThanOrEqual(live);
          loop.close();
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('holds few handles after 100,000 set-and-cancel timers', () => {
    const loop = new VirtualLoop();
    const keep = loop.callLater(1_000, () => {});

    for (let i = 0; i < 100_000; i++) loop.callLater(i % 500, () => {}).cancel();

    expect(loop.timerHeapSize).toBeLessThan(200);
    expect(loop.nextTimerWhen()).toBe(keep.when());
    loop.close();
  });

  it('still fires the live timers after mass cancellation rebuilt the heap', async () => {
    const loop = new VirtualLoop();
    const fired: number[] = [];
    const handles = Array.from({ length: 10_000 }, (_, i) =>
      loop.callLater(10_000 - i, (id: number) => fired.push(id), i),
    );
    const kept = new Set([7, 1_234, 5_000, 9_999]);
    for (const [index, handle] of handles.entries()) if (!kept.has(index)) handle.cancel();

    await loop.advance(10_000);

    // Later index = earlier deadline.
    expect(fired).toEqual([9_999, 5_000, 1_234, 7]);
    expect(loop.timerHeapSize).toBe(0);
  });
});
