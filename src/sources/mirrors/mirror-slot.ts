/**
 * One mirror of one file: what it served, how fast, whether it is still used for the file and why not. The
 * ranking of mirrors (rankMirrors) is a pure function of these.
 */
import { PdlError, RedirectError, RemoteStatusError } from '../../errors.js';
import type { ByteSource, Validators } from '../source.js';

/** Failures in a row (open or body) after which a mirror is dropped for the file. */
export const SOFT_FAILURES = 2;

export class MirrorSlot {
  readonly index: number;
  readonly source: ByteSource;
  readonly host: string;
  /** Why the mirror is no longer used for this file. */
  dropped: unknown = undefined;
  /** It served bytes that failed the file's checksum. */
  bad = false;
  failures = 0;
  /** Bytes served in this run, and since the file last started from nothing. */
  bytes = 0;
  round = 0;
  /** Milliseconds its finished bodies were open, and the start times of the open ones. */
  busyMs = 0;
  readonly #live = new Set<number>();
  /** This mirror's own validators for the version of the file being fetched, once it answered. */
  validators: Validators | undefined;

  constructor(index: number, source: ByteSource, host: string) {
    this.index = index;
    this.source = source;
    this.host = host;
  }

  get healthy(): boolean {
    return this.dropped === undefined;
  }

  get inFlight(): number {
    return this.#live.size;
  }

  opened(at: number): number {
    this.#live.add(at);
    return at;
  }

  closed(at: number, ms: number): void {
    this.#live.delete(at);
    this.busyMs += ms;
  }

  /** Bytes per millisecond per connection, or undefined before it served anything. */
  rate(now: number): number | undefined {
    let ms = this.busyMs;
    for (const at of this.#live) ms += now - at;
    return this.bytes === 0 || ms <= 0 ? undefined : this.bytes / ms;
  }

  /** Count a failure; true when the mirror is dropped for the file now. */
  failed(error: unknown, force: boolean): boolean {
    this.failures++;
    if (force || isHard(error) || this.failures >= SOFT_FAILURES) this.dropped = error;
    return !this.healthy;
  }
}

/** A refusal that asking again will not change (404, 410, 403; a redirect pdl will not follow; a broken contract). */
export function isHard(error: unknown): boolean {
  if (error instanceof RemoteStatusError) return !error.retryable;
  return error instanceof RedirectError || (error instanceof PdlError && error.kind === 'protocol');
}

/**
 * The healthy mirrors in the order the next connection of a file whose bytes may come from several should try them:
 * a mirror not measured yet and idle first (so each gets measured), then by measured throughput per connection.
 * Hosts the run demoted come only after the others. The first is the pick when every host has room; the rest are
 * where a connection goes when the hosts before are at their connection cap.
 */
export function rankMirrors(slots: readonly MirrorSlot[], penalty: (host: string) => number, now: number): MirrorSlot[] {
  const untried = (slot: MirrorSlot) => slot.bytes === 0 && slot.inFlight === 0 && slot.busyMs === 0 && slot.failures === 0;
  // A mirror asked but not answered yet is not known to be slow: it ranks above every measured one, so one early
  // measurement of the first mirror does not draw every connection to it. Ties go to the mirror with fewer connections.
  const score = (slot: MirrorSlot) => slot.rate(now) ?? (slot.inFlight > 0 ? Infinity : 0);
  const keyed = slots.filter((slot) => slot.healthy).map((slot) => ({ slot, penalty: penalty(slot.host), untried: untried(slot), score: score(slot) }));
  keyed.sort(
    (a, b) =>
      a.penalty - b.penalty ||
      Number(b.untried) - Number(a.untried) ||
      (a.score === b.score ? 0 : a.score > b.score ? -1 : 1) ||
      a.slot.inFlight - b.slot.inFlight ||
      a.slot.index - b.slot.index,
  );
  return keyed.map((k) => k.slot);
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
