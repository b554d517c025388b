import { describeValue } from '@coro/loop';

/**
 * @internal PriorityQueue's default order, like Python's `<`: numbers, bigints and
 * strings by value; arrays element by element, a shorter prefix first (tuples).
 * Anything else throws a TypeError that suggests `options.compare`.
 */
export function compareNatural(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const order = compareNatural(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  const kind = typeof a;
  if (kind === typeof b && (kind === 'number' || kind === 'string' || kind === 'bigint')) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  throw new TypeError(
    `PriorityQueue cannot order ${describeValue(a)} and ${describeValue(b)}; pass options.compare`,
  );
}
