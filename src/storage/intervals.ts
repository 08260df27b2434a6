/**
 * Byte intervals, end exclusive: `[start, end)`.
 * Resume state and range planning speak in lists of these; every function here accepts any list
 * (unsorted, overlapping, empty members) and returns a normalised one: sorted, disjoint, non-adjacent, non-empty.
 * Bad numbers throw RangeError: they are programming errors, never user input.
 */

export interface Interval {
  readonly start: number;
  readonly end: number;
}

export function assertInterval(iv: Interval): void {
  if (!Number.isSafeInteger(iv.start) || !Number.isSafeInteger(iv.end) || iv.start < 0 || iv.start > iv.end) {
    throw new RangeError(`Expected an interval of safe non-negative integers with start <= end, got [${iv.start}, ${iv.end})`);
  }
}

function assertSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`Expected a size that is a safe non-negative integer, got ${size}`);
  }
}

/** Sort, merge overlapping and touching intervals, drop empty ones. Never mutates its input. */
export function normalize(list: readonly Interval[]): Interval[] {
  for (const iv of list) assertInterval(iv);
  const sorted = list.filter((iv) => iv.end > iv.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  let current: Interval | undefined;
  for (const iv of sorted) {
    if (current !== undefined && iv.start <= current.end) {
      if (iv.end > current.end) current = { start: current.start, end: iv.end };
      continue;
    }
    if (current !== undefined) out.push(current);
    current = { start: iv.start, end: iv.end };
  }
  if (current !== undefined) out.push(current);
  return out;
}

export function addInterval(list: readonly Interval[], iv: Interval): Interval[] {
  return normalize([...list, iv]);
}

/** The parts of `whole` not covered by `done`, in order. `done` may reach outside `whole`. */
export function subtract(whole: Interval, done: readonly Interval[]): Interval[] {
  assertInterval(whole);
  const missing: Interval[] = [];
  let cursor = whole.start;
  for (const iv of normalize(done)) {
    if (iv.end <= cursor) continue;
    if (iv.start >= whole.end) break;
    if (iv.start > cursor) missing.push({ start: cursor, end: iv.start });
    cursor = iv.end;
    if (cursor >= whole.end) break;
  }
  if (cursor < whole.end) missing.push({ start: cursor, end: whole.end });
  return missing;
}

/** Bytes covered; overlaps count once. */
export function totalLength(list: readonly Interval[]): number {
  let total = 0;
  for (const iv of normalize(list)) total += iv.end - iv.start;
  return total;
}

/** End of the covered run that starts at byte 0, or 0 when byte 0 is missing: how much of the file is usable as-is. */
export function contiguousPrefix(list: readonly Interval[]): number {
  const first = normalize(list)[0];
  return first !== undefined && first.start === 0 ? first.end : 0;
}

/** True when every byte of `[0, size)` is covered. */
export function isComplete(list: readonly Interval[], size: number): boolean {
  assertSize(size);
  return contiguousPrefix(list) >= size;
}
