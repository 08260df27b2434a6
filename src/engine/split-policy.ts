/**
 * When a range is worth splitting, and where, from measured speeds rather than a fixed size.
 *
 * A new connection costs its setup time (time to first byte) before it moves a byte; a split pays off when the
 * range would still take well longer than that at its measured rate. So: split when the estimated remaining time
 * exceeds max(minRemainingMs, setupFactor × setup cost), and never leave either part under `floor` bytes (the
 * user's `minSplitSize` raises that floor). The split point gives the new connection the tail such that, at the
 * rates we expect, both parts finish at about the same time: the file is done when its last part is.
 *
 * Files first is not decided here: the scheduler gives a queued file a free slot before any split (scheduler.ts).
 */
import { medianRate } from './rate-meter.js';
import { DEFAULT_ALIGNMENT, type Work } from './ranges.js';

export interface SplitRules {
  /** Neither part of a split may be shorter than this many bytes. */
  floor: number;
  /** Never split a range expected to finish sooner than this… */
  minRemainingMs: number;
  /** …or sooner than this many times the cost of opening a connection. */
  setupFactor: number;
  /** Split points snap to multiples of this (absolute offset) when both parts keep the floor. */
  alignment: number;
}

/** The default floor; a user's `minSplitSize` replaces it only upward (see splitRulesFor). */
export const DEFAULT_SPLIT_FLOOR = 256 * 1024;

export const DEFAULT_SPLIT_RULES: SplitRules = {
  floor: DEFAULT_SPLIT_FLOOR,
  minRemainingMs: 2000,
  setupFactor: 3,
  alignment: DEFAULT_ALIGNMENT,
};

/** The rules for a file whose user-set floor is `minSplitSize` (bytes). */
export function splitRulesFor(minSplitSize: number, base: SplitRules = DEFAULT_SPLIT_RULES): SplitRules {
  return { ...base, floor: Math.max(base.floor, minSplitSize) };
}

/** An active range as the policy sees it: `[position, end)` still to fetch at `rate` bytes/s (undefined = not measured yet). */
export interface MeasuredRange {
  id: number;
  position: number;
  end: number;
  rate: number | undefined;
}

/** Milliseconds the range still needs at its rate; Infinity for a stalled one, undefined when not measured. */
export function remainingMs(range: MeasuredRange): number | undefined {
  if (range.rate === undefined) return undefined;
  const bytes = range.end - range.position;
  if (bytes <= 0) return 0;
  return range.rate > 0 ? (bytes * 1000) / range.rate : Infinity;
}

/** The time a range must still need for a split to pay off. */
export function splitThresholdMs(setupMs: number, rules: SplitRules): number {
  return Math.max(rules.minRemainingMs, rules.setupFactor * setupMs);
}

/** Worth splitting: measured, long enough to keep two floors, and expected to last well beyond a new connection's cost. */
export function worthSplitting(range: MeasuredRange, setupMs: number, rules: SplitRules): boolean {
  const left = remainingMs(range);
  if (left === undefined) return false;
  return range.end - range.position >= 2 * rules.floor && left > splitThresholdMs(setupMs, rules);
}

/**
 * Where to cut `[position, end)` so the parts finish together: the running connection goes on at `rate`; the new
 * one starts `setupMs` later at `newRate` (peers' typical speed; the same as `rate` when nothing else is known).
 * With R bytes left and finish time T: rate·T + newRate·(T − setup) = R. With `parts` > 2 the range is headed for
 * that many connections, one new one at a time: the newcomer takes one share and the running side counts as
 * parts − 1 connections (it will be cut again), so the file does not wait on halvings for its connections to fill.
 * Returns undefined when either part would fall under the floor. A stalled range (rate 0) hands everything but
 * its floor to the new connection.
 */
export function balancedSplitPoint(range: MeasuredRange, newRate: number, setupMs: number, rules: SplitRules, parts = 2): number | undefined {
  const { position, end } = range;
  const { floor, alignment } = rules;
  if (end - position < 2 * floor) return undefined;
  const rate = Math.max(0, range.rate ?? newRate) * Math.max(1, parts - 1);
  const total = end - position;
  let keep = total / 2;
  if (rate + newRate > 0) {
    const finishMs = (total * 1000 + newRate * setupMs) / (rate + newRate);
    keep = (rate * finishMs) / 1000;
  }
  const lowest = position + floor;
  const highest = end - floor;
  const exact = Math.min(highest, Math.max(lowest, Math.round(position + keep)));
  const up = Math.ceil(exact / alignment) * alignment;
  const down = Math.floor(exact / alignment) * alignment;
  const nearest = up - exact <= exact - down ? [up, down] : [down, up];
  for (const at of nearest) if (at >= lowest && at <= highest) return at;
  return exact;
}

export interface SplitChoiceInput {
  active: readonly MeasuredRange[];
  /** Expected cost of a new connection to this host, ms (see smoothSetupCost). */
  setupMs: number;
  rules: SplitRules;
  /** Connections the file could still open now (free slots it may get); default 1. */
  free?: number;
}

/**
 * How many connections a range should end up shared by: as many as are free (plus its own), but no part under the
 * floor and none expected to take less than half the split threshold (below that a new request buys little).
 */
export function targetParts(range: MeasuredRange, free: number, setupMs: number, rules: SplitRules): number {
  const left = remainingMs(range) ?? 0;
  const byBytes = Math.floor((range.end - range.position) / rules.floor);
  const byTime = Math.floor(left / (splitThresholdMs(setupMs, rules) / 2));
  return Math.max(2, Math.min(free + 1, byBytes, byTime));
}

/**
 * Which active range a new connection should take the tail of, or null when none is worth it. The range that
 * would finish last goes first (the file waits for it); the new connection is expected to run at the median
 * measured rate of the file's connections, and so is every connection not measured yet.
 */
export function chooseSplit(input: SplitChoiceInput): Extract<Work, { kind: 'split' }> | null {
  const { setupMs, rules } = input;
  const typical = medianRate(input.active.map((r) => (r.rate !== undefined && r.rate > 0 ? r.rate : undefined)));
  if (typical === undefined) return null;
  // A connection still warming up is assumed to run like its peers: waiting for its own measurement would leave
  // a fresh range unsplittable for half a second, which is most of a short file's time.
  const candidates = input.active
    .map((range) => (range.rate === undefined ? { ...range, rate: typical } : range))
    .filter((range) => worthSplitting(range, setupMs, rules))
    .sort((a, b) => remainingMs(b)! - remainingMs(a)! || a.position - b.position);
  for (const range of candidates) {
    const parts = targetParts(range, input.free ?? 1, setupMs, rules);
    const at = balancedSplitPoint(range, typical, setupMs, rules, parts);
    if (at !== undefined) return { kind: 'split', id: range.id, at, end: range.end, gain: range.end - at };
  }
  return null;
}
