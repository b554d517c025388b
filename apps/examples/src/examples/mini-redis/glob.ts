/*
 * glob: redis's pattern matching (KEYS, CONFIG GET), byte by byte.
 *
 *   *        any run of characters, the empty one included
 *   ?        any one character
 *   [abc]    one of a, b, c;  [^abc] one that is none of them;  [a-z] a range
 *   \x       the character x itself (so \* matches a star)
 *
 * The matcher is the classic backtracking one: on a mismatch after a `*`, it retries
 * with the star taking one more character. Only the last star needs remembering, so a
 * pattern like `*a*a*a*b` costs O(pattern × text), not an exponential search.
 */

/** Whether `text` matches the glob `pattern` (case-sensitive, as redis's KEYS). */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1; // where to resume in the pattern: just after the last `*`
  let starT = 0; // and the text position that star swallows up to
  while (t < text.length) {
    if (p < pattern.length) {
      const char = pattern[p]!;
      if (char === '*') {
        while (pattern[p] === '*') p++; // `**` is `*`
        if (p === pattern.length) return true; // a trailing star takes the rest
        starP = p;
        starT = t;
        continue;
      }
      const step = matchOne(pattern, p, text[t]!);
      if (step > 0) {
        p += step;
        t++;
        continue;
      }
    }
    // A mismatch: let the last star swallow one more character, or fail.
    if (starP === -1) return false;
    p = starP;
    t = ++starT;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Matches one character of text against the pattern element at `p` (a literal, `?`,
 * `\x`, or a `[...]` class). Returns the element's length in the pattern, or 0 when the
 * character does not match.
 */
function matchOne(pattern: string, p: number, char: string): number {
  const first = pattern[p]!;
  if (first === '?') return 1;
  if (first === '\\' && p + 1 < pattern.length) return pattern[p + 1] === char ? 2 : 0;
  if (first !== '[') return first === char ? 1 : 0;

  let index = p + 1;
  const negate = pattern[index] === '^';
  if (negate) index++;
  let matched = false;
  // Up to the closing `]`; an unclosed class runs to the end of the pattern, as in redis.
  while (index < pattern.length && pattern[index] !== ']') {
    if (pattern[index] === '\\' && index + 1 < pattern.length) {
      if (pattern[index + 1] === char) matched = true;
      index += 2;
    } else if (
      pattern[index + 1] === '-' &&
      index + 2 < pattern.length &&
      pattern[index + 2] !== ']'
    ) {
      let low = pattern[index]!;
      let high = pattern[index + 2]!;
      if (low > high) [low, high] = [high, low]; // [z-a] is [a-z]
      if (char >= low && char <= high) matched = true;
      index += 3;
    } else {
      if (pattern[index] === char) matched = true;
      index++;
    }
  }
  const length = Math.min(index, pattern.length - 1) + 1 - p;
  return matched !== negate ? length : 0;
}
