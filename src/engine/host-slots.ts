/**
 * Connections per host in a run: how many are open, and how many the host may have now. The limit is the least of
 * the user's `perHost`, the target learned from refusals (host-capacity.ts, AIMD, carried over between runs by the
 * caller) and a slow start: a host gets at most twice as many connections as it has been seen serving at once
 * (at least one), so pdl finds a host's cap with one or two refusals instead of opening all its connections at once
 * and having most of them refused.
 */
import { RemoteStatusError } from '../errors.js';
import { initialHostCapacity, mayOpen, onHostRefusal, onHostSuccess, type HostCapacity, type HostSignal } from './host-capacity.js';

interface HostState {
  capacity: HostCapacity;
  open: number;
  /** Open connections the host has answered. */
  answered: number;
  /** The most connections seen answered at once. */
  proven: number;
}

/** A Retry-After longer than this is not honoured longer (as for retries, retry.ts): pdl tries again then. */
const MAX_HOLD_MS = 60_000;

/** Transport failures that mean "not now" from a host at its cap when they come before any answer. */
const DROP_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** What `reason` says about the host's capacity, if anything. `answered`: the attempt got an answer first. */
export function hostSignal(reason: unknown, answered: boolean): HostSignal | undefined {
  if (reason instanceof RemoteStatusError) {
    if (!reason.overloaded) return undefined;
    return { kind: 'refused', status: reason.status === 429 ? 429 : 503, ...(reason.retryAfterMs !== undefined ? { retryAfterMs: Math.min(MAX_HOLD_MS, reason.retryAfterMs) } : {}) };
  }
  return !answered && hasDropCode(reason, 0) ? { kind: 'dropped' } : undefined;
}

function hasDropCode(error: unknown, depth: number): boolean {
  if (depth > 8 || typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && DROP_CODES.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => hasDropCode(inner, depth + 1))) return true;
  return hasDropCode(e.cause, depth + 1);
}

export class HostSlots {
  readonly #perHost: number;
  readonly #saved: ReadonlyMap<string, number>;
  readonly #hosts = new Map<string, HostState>();

  /** `saved`: targets learned by an earlier run (clamped to perHost); they hold for a while before growing again. */
  constructor(perHost: number, saved: ReadonlyMap<string, number> = new Map()) {
    this.#perHost = perHost;
    this.#saved = saved;
  }

  /** Connections open to each host. */
  get open(): ReadonlyMap<string, number> {
    return new Map([...this.#hosts].map(([host, s]) => [host, s.open]));
  }

  /**
   * How many connections each host may have now (hosts not listed: perHost): `hosts` for any connection, `splits`
   * for one more connection of a file already in flight (the slow start).
   */
  limits(now: number): { hosts: ReadonlyMap<string, number>; splits: ReadonlyMap<string, number> } {
    const hosts = new Map<string, number>();
    const splits = new Map<string, number>();
    for (const [host, s] of this.#hosts) {
      hosts.set(host, mayOpen(s.capacity, 0, now) ? s.capacity.target : 0);
      splits.set(host, Math.max(1, 2 * s.proven));
    }
    return { hosts, splits };
  }

  reserve(host: string): void {
    this.#state(host).open++;
  }

  release(host: string, answered: boolean): void {
    const s = this.#state(host);
    s.open = Math.max(0, s.open - 1);
    if (answered) s.answered = Math.max(0, s.answered - 1);
  }

  /** A connection to `host` got its first answer. */
  answered(host: string, now: number): void {
    const s = this.#state(host);
    s.answered++;
    s.proven = Math.max(s.proven, s.answered);
    s.capacity = onHostSuccess(s.capacity, s.open, now);
  }

  /** An attempt failed with `reason`: true when the connection should be shed (the host is at its cap). */
  refused(host: string, reason: unknown, answered: boolean, now: number): boolean {
    const signal = hostSignal(reason, answered);
    if (!signal) return false;
    const s = this.#state(host);
    const { state, verdict } = onHostRefusal(s.capacity, signal, s.open - 1, now);
    s.capacity = state;
    return verdict === 'shed';
  }

  /** The targets as they stand (for the next run). */
  targets(): Map<string, number> {
    return new Map([...this.#hosts].map(([host, s]) => [host, s.capacity.target]));
  }

  #state(host: string): HostState {
    let s = this.#hosts.get(host);
    if (!s) {
      const saved = this.#saved.get(host);
      const capacity = initialHostCapacity(this.#perHost, saved);
      // A learned target is where the host refused last time: do not probe above it at once.
      s = { capacity: saved === undefined ? capacity : { ...capacity, changedAt: Date.now() }, open: 0, answered: 0, proven: 0 };
      this.#hosts.set(host, s);
    }
    return s;
  }
}
