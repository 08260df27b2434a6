/**
 * A file's byte ranges: what is unassigned, where a span can be split, and the size-based work choice (`chooseWork`:
 * take a hole, or split the largest range still being fetched, like aria2). The engine now decides by measured
 * speed (measured-work.ts, split-policy.ts) and uses this module for the interval arithmetic and the Work type;
 * `chooseWork` remains the size-only rule, for callers that have no rates.
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

export interface ChooseWorkInput {
  size: number;
  done: readonly Interval[];
  active: readonly ActiveRange[];
  /** Both halves of a split must be at least this long. */
  minSplitSize: number;
  /** Split points are rounded up to a multiple of this (absolute file offset), when that keeps both halves ≥ minSplitSize. */
  alignment?: number;
  /**
   * When set, unassigned bytes are handed out in file order, at most this many at a time, before any split: the
   * contiguous prefix then grows steadily, so hashing overlaps the transfer, and requests end on their own
   * (keeping their sockets) instead of being cut short by a split.
   */
  segmentSize?: number;
}

export const DEFAULT_ALIGNMENT = 64 * 1024;

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Expected ${name} to be a positive safe integer, got ${value}`);
  }
}

/** Missing bytes that no connection is fetching. */
export function unassignedIntervals(size: number, done: readonly Interval[], active: readonly ActiveRange[]): Interval[] {
  const spans = active.map((range) => {
    const span = { start: range.position, end: range.end };
    assertInterval(span);
    return span;
  });
  return subtract({ start: 0, end: size }, [...done, ...spans]);
}

/**
 * Where to split the active span `[position, end)`, or undefined when either half would be shorter than
 * `minSplitSize`. Tries the midpoint aligned up, then aligned down, then the exact midpoint, so a span is
 * splittable exactly when it is at least 2 × minSplitSize long; alignment only ever moves the point.
 */
export function splitPoint(position: number, end: number, minSplitSize: number, alignment = DEFAULT_ALIGNMENT): number | undefined {
  assertPositiveInteger('minSplitSize', minSplitSize);
  assertPositiveInteger('alignment', alignment);
  const mid = position + Math.floor((end - position) / 2);
  const down = mid - (mid % alignment);
  const up = down === mid ? mid : down + alignment;
  for (const at of [up, down, mid]) {
    if (at - position >= minSplitSize && end - at >= minSplitSize) return at;
  }
  return undefined;
}

interface Candidate {
  start: number;
  end: number;
  /** Set for active spans. */
  id: number | undefined;
}

/**
 * What a new connection should do, or null when nothing is left to give it.
 * The largest piece wins (unassigned interval or active remaining span); ties go to the lowest start.
 * Unassigned intervals are always taken whole; an active span too small to split is skipped for the next largest.
 */
export function chooseWork(input: ChooseWorkInput): Work | null {
  const alignment = input.alignment ?? DEFAULT_ALIGNMENT;
  assertPositiveInteger('minSplitSize', input.minSplitSize);
  assertPositiveInteger('alignment', alignment);
  const unassigned = unassignedIntervals(input.size, input.done, input.active);
  const first = unassigned[0];
  if (input.segmentSize !== undefined && first) {
    assertPositiveInteger('segmentSize', input.segmentSize);
    const end = Math.min(first.end, first.start + input.segmentSize);
    return { kind: 'take', start: first.start, end, gain: end - first.start };
  }
  const candidates: Candidate[] = unassigned.map((iv) => ({
    start: iv.start,
    end: iv.end,
    id: undefined,
  }));
  for (const range of input.active) {
    if (range.end > range.position) candidates.push({ start: range.position, end: range.end, id: range.id });
  }
  if (input.segmentSize !== undefined) {
    // The file's first request is open-ended (bytes=0-): when a second connection joins, that one long range is cut
    // after its current segment and the rest goes out in segments, in order, like everything else.
    const segment = input.segmentSize;
    const longest = candidates.reduce<Candidate | undefined>((best, c) => (!best || c.end - c.start > best.end - best.start ? c : best), undefined);
    if (longest?.id !== undefined && longest.end - longest.start > 2 * segment) {
      const at = alignUp(longest.start + segment, alignment, longest.end);
      const end = Math.min(longest.end, at + segment);
      return { kind: 'split', id: longest.id, at, end, gain: end - at };
    }
  }
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  for (const candidate of candidates) {
    if (candidate.id === undefined) {
      return { kind: 'take', start: candidate.start, end: candidate.end, gain: candidate.end - candidate.start };
    }
    const at = splitPoint(candidate.start, candidate.end, input.minSplitSize, alignment);
    if (at !== undefined) return { kind: 'split', id: candidate.id, at, end: candidate.end, gain: candidate.end - at };
  }
  return null;
}

function alignUp(offset: number, alignment: number, limit: number): number {
  const up = Math.ceil(offset / alignment) * alignment;
  return up < limit ? up : offset;
}

/**
 * The segment size for a file: about eight segments per connection, so the tail is short, but never below
 * minSplitSize (requests stay large) nor above 32 MiB (the hashed prefix never lags far behind).
 */
export function segmentSizeFor(size: number, connections: number, minSplitSize: number): number {
  const target = Math.ceil(size / (connections * 8));
  const aligned = Math.ceil(target / DEFAULT_ALIGNMENT) * DEFAULT_ALIGNMENT;
  return Math.max(minSplitSize, Math.min(aligned, 32 * 1024 * 1024));
}

/** Bytes a new connection would get from this file (0 = nothing): the scheduler gives a free slot to the file that gains most. */
export function largestSplittable(input: ChooseWorkInput): number {
  return chooseWork(input)?.gain ?? 0;
}
