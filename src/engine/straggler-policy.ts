/**
 * What to do about a connection far slower than its peers. A range at the split floor is never split again by
 * the size rule, so one connection crawling at 20 KB/s among 2 MB/s peers used to hold its megabytes for minutes.
 *
 * A connection is a straggler once its rate has stayed under `ratio` × the median of its peers' rates for
 * `graceMs` (a moment's dip is normal; a few seconds of it is a bad path or an overloaded server). Then:
 * - `split`: it keeps only what it fetches in the time a fast connection needs to take over (at least the floor),
 *   and the rest goes to a faster connection;
 * - `race`: its range is already too short to split, and it is the file's last one: a second connection fetches
 *   the same bytes from `from` on; the engine keeps the first bytes to arrive at each offset and never writes an
 *   offset twice, and drops whichever connection is then redundant;
 * - `none`: not a straggler (yet), nothing to gain, or no faster peer to hand over to.
 */
import { balancedSplitPoint, type MeasuredRange, type SplitRules } from './split-policy.js';
import { medianRate } from './rate-meter.js';

export interface StragglerRules {
  /** Slower than this fraction of the peers' median… */
  ratio: number;
  /** …for this long, continuously. */
  graceMs: number;
}

export const DEFAULT_STRAGGLER_RULES: StragglerRules = { ratio: 0.25, graceMs: 3000 };

/**
 * When the connection started being slow, as of `now`: the previous value while it stays slow, `now` when it just
 * became slow, undefined when it is not slow (or cannot be judged: no rate, no peer rate).
 */
export function slowSince(
  previous: number | undefined,
  now: number,
  rate: number | undefined,
  peerRates: ReadonlyArray<number | undefined>,
  rules: StragglerRules = DEFAULT_STRAGGLER_RULES,
): number | undefined {
  const median = medianRate(peerRates);
  if (rate === undefined || median === undefined || median <= 0) return undefined;
  if (rate >= rules.ratio * median) return undefined;
  return previous ?? now;
}

export interface StragglerInput {
  now: number;
  range: MeasuredRange;
  /** From slowSince. */
  slowSince: number | undefined;
  /** Rates of the file's other connections. */
  peerRates: ReadonlyArray<number | undefined>;
  /** Expected cost of a new connection, ms. */
  setupMs: number;
  /** No unassigned bytes and no other active range with bytes left: this range alone decides when the file ends. */
  isLast: boolean;
  /** A racer already works this range (one race per range). */
  raced: boolean;
  split: SplitRules;
  rules?: StragglerRules;
}

export type StragglerDecision =
  | { kind: 'none' }
  /** Shrink range `id` to end at `at`; a faster connection fetches `[at, end)`. */
  | { kind: 'split'; id: number; at: number; end: number }
  /** A second connection fetches `[from, end)` of range `id` as well; first bytes win. */
  | { kind: 'race'; id: number; from: number; end: number };

const NONE: StragglerDecision = { kind: 'none' };

export function decideStraggler(input: StragglerInput): StragglerDecision {
  const rules = input.rules ?? DEFAULT_STRAGGLER_RULES;
  const { range, setupMs, split } = input;
  if (input.slowSince === undefined || input.now - input.slowSince < rules.graceMs) return NONE;
  const peer = medianRate(input.peerRates);
  if (peer === undefined || peer <= 0) return NONE;
  const left = range.end - range.position;
  if (left <= 0) return NONE;
  const rate = Math.max(0, range.rate ?? 0);
  const stayMs = rate > 0 ? (left * 1000) / rate : Infinity;
  const handoverMs = setupMs + (left * 1000) / peer;

  const at = balancedSplitPoint({ ...range, rate }, peer, setupMs, split);
  if (at !== undefined) return { kind: 'split', id: range.id, at, end: range.end };

  if (!input.isLast || input.raced || handoverMs >= stayMs) return NONE;
  // The racer starts where the straggler is expected to be once the racer's first byte arrives, so their
  // overlap is what the straggler fetches meanwhile — little, by definition.
  const ahead = Math.floor((rate * setupMs) / 1000);
  const from = Math.min(range.end - 1, range.position + ahead);
  return { kind: 'race', id: range.id, from, end: range.end };
}
