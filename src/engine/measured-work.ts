/**
 * What a new connection of a file should do, from measured speeds (split-policy.ts) rather than a fixed size. Pure.
 *
 * 1. Bytes nobody fetches (after a resume, a connection shed by a host at its cap, a straggler's handed-over tail)
 *    come first, the lowest first and whole: the front of the file fills first, so its hashed prefix grows, and
 *    the range is split again below if it is worth it.
 * 2. Otherwise the range that would finish last is split when its remaining time at its measured rate is well
 *    above the cost of a new connection (chooseSplit). When that range is headed for `parts` > 2 connections, the
 *    parts go out in file order instead of as tails: the running connection keeps the first share, the newcomer
 *    takes the next, and the rest goes back to the unfetched pool, which the next free slot takes (rule 1) and
 *    which is cut again the same way. Ranges then lie in the order they were handed out, so the contiguous prefix —
 *    what the running hash can consume — grows with the file instead of waiting for the last tail.
 */
import { medianRate } from './rate-meter.js';
import { normalize, type Interval } from '../storage/intervals.js';
import { unassignedIntervals, type Work } from './ranges.js';
import { chooseSplit, targetParts, type MeasuredRange, type SplitRules } from './split-policy.js';

/** A connection as work selection sees it. */
export interface MeasuredView extends MeasuredRange {
  /** Start of its current request: bytes from here to `position` were received but may not be written yet. */
  start: number;
}

export interface MeasuredWorkInput {
  size: number;
  written: readonly Interval[];
  conns: readonly MeasuredView[];
  /** Expected cost of a new connection, ms. */
  setupMs: number;
  rules: SplitRules;
  /** Connections the file may still open (its `connections` minus those open). */
  free: number;
}

export function measuredWork(input: MeasuredWorkInput): Work | null {
  const { size, conns, rules } = input;
  if (input.free < 1) return null;
  // Bytes received but not written yet are neither done nor ahead of their connection: count them as held, or a
  // new connection would fetch them a second time.
  const received = conns.filter((c) => c.position > c.start).map((c) => ({ start: c.start, end: c.position }));
  const done = received.length > 0 ? normalize([...input.written, ...received]) : input.written;
  const hole = unassignedIntervals(size, done, conns)[0];
  if (hole) return { kind: 'take', start: hole.start, end: hole.end, gain: hole.end - hole.start };

  const choice = chooseSplit({ active: conns, setupMs: input.setupMs, rules, free: input.free });
  if (!choice) return null;
  const victim = conns.find((c) => c.id === choice.id)!;
  const typical = medianRate(conns.map((c) => (c.rate !== undefined && c.rate > 0 ? c.rate : undefined)))!;
  const parts = targetParts({ ...victim, rate: victim.rate ?? typical }, input.free, input.setupMs, rules);
  if (parts <= 2) return choice;
  // chooseSplit counted the running side as parts − 1 connections: its own share is one of them.
  const share = (choice.at - victim.position) / (parts - 1);
  const at = snap(victim.position + share, victim.position + rules.floor, choice.at, rules.alignment);
  const newcomer = choice.end - choice.at;
  let end = snap(at + newcomer, at + rules.floor, choice.end, rules.alignment);
  // A leftover under the floor is not worth a request of its own.
  if (choice.end - end < rules.floor) end = choice.end;
  return { kind: 'split', id: victim.id, at, end, gain: end - at };
}

/** `offset` rounded to the nearest multiple of `alignment` within [low, high], or clamped when none is. */
function snap(offset: number, low: number, high: number, alignment: number): number {
  const exact = Math.min(high, Math.max(low, Math.round(offset)));
  const down = Math.floor(exact / alignment) * alignment;
  const up = down + alignment;
  for (const at of exact - down <= up - exact ? [down, up] : [up, down]) if (at >= low && at <= high) return at;
  return exact;
}
