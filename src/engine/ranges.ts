/**
 * A file's byte ranges: the Work a new connection is given, and which missing bytes no connection is fetching. What
 * to give it is decided by measured speed (measured-work.ts, split-policy.ts).
 *
 * A file of known `size` is made of done intervals, ACTIVE ranges (each worked by one connection from
 * `position` up to `end`, exclusive) and the UNASSIGNED rest.
 */

import { assertInterval, subtract, type Interval } from '../storage/intervals.js';

export interface ActiveRange {
  readonly id: number;
  /** Next byte this connection will fetch. */
  readonly position: number;
  /** Exclusive. */
  readonly end: number;
}

export type Work =
  /** Fetch the unassigned interval `[start, end)` whole. */
  | { kind: 'take'; start: number; end: number; gain: number }
  /** Shrink active range `id` to end at `at`; the new connection fetches `[at, end)`. */
  | { kind: 'split'; id: number; at: number; end: number; gain: number };
// For a split, `end` may be less than the victim's old end: [end, oldEnd) then goes back to the unassigned pool.

export const DEFAULT_ALIGNMENT = 64 * 1024;

/** Missing bytes that no connection is fetching. */
export function unassignedIntervals(size: number, done: readonly Interval[], active: readonly ActiveRange[]): Interval[] {
  const spans = active.map((range) => {
    const span = { start: range.position, end: range.end };
    assertInterval(span);
    return span;
  });
  return subtract({ start: 0, end: size }, [...done, ...spans]);
}
