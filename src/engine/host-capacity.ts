/**
 * How many connections a host takes, learned like TCP learns a window (AIMD). Many servers cap connections per
 * client (nginx `limit_conn`, CDNs) and answer one more with 503 or 429, or refuse/reset it. Such an answer
 * while other connections to the host are being served says "too many", not "broken": the host's target drops
 * (multiplicative decrease, never below 1, never above what it was serving) and the refused connection's range
 * goes back to the pool without using up a retry. After a quiet while the target grows by one (slow additive
 * increase, never above `perHost`), so a cap that was lifted is found again. Only when even a lone connection is
 * refused is the answer an error, which the ordinary retry policy handles (and which can fail the file).
 *
 * Time is an argument (milliseconds, monotonic); the state is a small plain value, saved between runs
 * (storage/host-capacity-file.ts) so the next run starts at what this one learned.
 */

export interface HostCapacityRules {
  /** Multiplicative decrease: the new target is at most ⌈target × decrease⌉ (and below the old one). */
  decrease: number;
  /** After a decrease, further refusals of connections opened before it do not lower the target again for this long. */
  holdMs: number;
  /** Grow by one after this long without a refusal, while the host is used up to its target. */
  increaseAfterMs: number;
}

export const DEFAULT_HOST_CAPACITY_RULES: HostCapacityRules = { decrease: 0.7, holdMs: 1000, increaseAfterMs: 5000 };

export interface HostCapacity {
  /** Connections pdl opens to the host at most, now; 1 ≤ target ≤ ceiling. */
  target: number;
  /** The user's `perHost`. */
  ceiling: number;
  /** When the target last changed (or the state was created); undefined = never, grow whenever allowed. */
  changedAt: number | undefined;
  /** When the last decrease happened, for the hold. */
  decreasedAt: number | undefined;
  /** No new connection before this (a Retry-After), or undefined. */
  notBefore: number | undefined;
}

export type HostSignal =
  /** The host answered 429 or 503 (`retryAfterMs` from Retry-After, if any). */
  | { kind: 'refused'; status: 429 | 503; retryAfterMs?: number }
  /** The connection was refused or reset before its first byte (ECONNREFUSED, ECONNRESET, a closed socket). */
  | { kind: 'dropped' };

export type HostVerdict =
  /** Capacity: drop this connection, put its range back, do not count a retry. */
  | 'shed'
  /** Not a capacity signal (a lone connection refused): apply the ordinary retry policy. */
  | 'retry';

/** The starting state: a saved target (clamped to today's perHost) or perHost itself. */
export function initialHostCapacity(perHost: number, saved?: number): HostCapacity {
  assertCount('perHost', perHost);
  const target = saved === undefined || !Number.isSafeInteger(saved) || saved < 1 ? perHost : Math.min(saved, perHost);
  return { target, ceiling: perHost, changedAt: undefined, decreasedAt: undefined, notBefore: undefined };
}

/**
 * A refusal or drop at `now`, while `others` other connections to the host were open (served or still waiting
 * for an answer). Returns the new state and what to do with the connection. When pdl opened several at once and
 * the host refuses all but its cap, the refusals arrive with `others` falling towards that cap, and the target
 * follows it down: one multiplicative decrease, then the hold keeps the rest from compounding it.
 */
export function onHostRefusal(
  state: HostCapacity,
  signal: HostSignal,
  others: number,
  now: number,
  rules: HostCapacityRules = DEFAULT_HOST_CAPACITY_RULES,
): { state: HostCapacity; verdict: HostVerdict } {
  const retryAfter = signal.kind === 'refused' && signal.retryAfterMs !== undefined && signal.retryAfterMs > 0 ? now + signal.retryAfterMs : undefined;
  const notBefore = retryAfter === undefined ? state.notBefore : Math.max(state.notBefore ?? 0, retryAfter);
  if (others < 1) return { state: { ...state, notBefore }, verdict: 'retry' };
  const held = state.decreasedAt !== undefined && now - state.decreasedAt < rules.holdMs;
  // The host had `others` open and refused one more: never aim above that.
  let target = Math.min(state.target, others);
  if (!held) target = Math.min(target, state.target - 1, Math.ceil(state.target * rules.decrease));
  target = Math.max(1, target);
  if (target === state.target) return { state: { ...state, notBefore }, verdict: 'shed' };
  return { state: { ...state, target, changedAt: now, decreasedAt: held ? state.decreasedAt : now, notBefore }, verdict: 'shed' };
}

/**
 * A connection to the host got its first byte at `now` while `open` connections (this one included) were open
 * to it: additive increase when the host has been quiet long enough and pdl actually wants more than the target.
 */
export function onHostSuccess(state: HostCapacity, open: number, now: number, rules: HostCapacityRules = DEFAULT_HOST_CAPACITY_RULES): HostCapacity {
  if (state.target >= state.ceiling || open < state.target) return state;
  if (state.changedAt !== undefined && now - state.changedAt < rules.increaseAfterMs) return state;
  return { ...state, target: state.target + 1, changedAt: now };
}

/** May pdl open one more connection to the host now, with `open` already open? */
export function mayOpen(state: HostCapacity, open: number, now: number): boolean {
  return open < state.target && (state.notBefore === undefined || now >= state.notBefore);
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Expected ${name} to be a positive integer, got ${value}`);
}
