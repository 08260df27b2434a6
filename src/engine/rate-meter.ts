/**
 * One connection's measured speed, and what it cost to open it: the inputs of the splitting, straggler and
 * host policies. Time is always an argument (milliseconds on any monotonic clock), never read here, so the
 * meter is deterministic and table-testable.
 *
 * Why a warm-up: the first bytes of a response arrive in a burst (socket buffers, TCP slow start, servers such as
 * nginx letting each request burst before `limit_rate` applies), so they say little about the steady rate. Why a
 * short window: a connection that slows down or stalls must show it within a second or two, not after a
 * long average has caught up.
 */

export interface RateMeterOptions {
  /** Bytes after the first byte that do not count… */
  warmupBytes: number;
  /** …or milliseconds after the first byte, whichever passes first (a crawling connection must become measurable quickly). */
  warmupMs: number;
  /** The moving window the rate is averaged over. */
  windowMs: number;
  /** A rate over less than this span is noise: no rate yet. */
  minSpanMs: number;
}

export const DEFAULT_RATE_METER: RateMeterOptions = { warmupBytes: 64 * 1024, warmupMs: 300, windowMs: 1500, minSpanMs: 250 };

/** Bytes are summed into buckets of this many milliseconds, so memory is bounded by windowMs / BUCKET_MS whatever the chunk rate. */
const BUCKET_MS = 100;

export class RateMeter {
  readonly openedAt: number;
  readonly options: RateMeterOptions;
  #firstByteAt: number | undefined;
  /** When the warm-up ended: the start of measurable time. */
  #warmAt: number | undefined;
  #warmupBytesSeen = 0;
  /** [bucket start, bytes] pairs, oldest first, none older than the window (as of the last add). */
  #buckets: Array<{ at: number; bytes: number }> = [];
  #total = 0;

  constructor(openedAt: number, options: RateMeterOptions = DEFAULT_RATE_METER) {
    this.openedAt = openedAt;
    this.options = options;
  }

  /** Body bytes received so far (warm-up included). */
  get total(): number {
    return this.#total;
  }

  /** Time to first byte: the cost of opening this connection (connect, TLS, request, server think time); undefined before any byte. */
  get setupMs(): number | undefined {
    return this.#firstByteAt === undefined ? undefined : this.#firstByteAt - this.openedAt;
  }

  get warm(): boolean {
    return this.#warmAt !== undefined;
  }

  /** `bytes` arrived at `now`. */
  add(now: number, bytes: number): void {
    this.#total += bytes;
    if (this.#firstByteAt === undefined) this.#firstByteAt = now;
    if (this.#warmAt === undefined) {
      this.#warmupBytesSeen += bytes;
      const { warmupBytes, warmupMs } = this.options;
      if (this.#warmupBytesSeen < warmupBytes && now - this.#firstByteAt < warmupMs) return;
      // The chunk that ends the warm-up still belongs to the burst.
      this.#warmAt = now;
      return;
    }
    const slot = now - (now % BUCKET_MS);
    const last = this.#buckets[this.#buckets.length - 1];
    if (last !== undefined && last.at === slot) last.bytes += bytes;
    else this.#buckets.push({ at: slot, bytes });
    this.#prune(now);
  }

  /**
   * Bytes per second over the last windowMs (or since the warm-up, if shorter), at `now`; undefined while warming
   * up or when too little time has passed. A connection that receives nothing sees its rate fall to 0 as the
   * window slides past its last bytes.
   */
  rate(now: number): number | undefined {
    if (this.#warmAt === undefined) return undefined;
    const { windowMs, minSpanMs } = this.options;
    const span = Math.min(windowMs, now - this.#warmAt);
    if (span < minSpanMs) return undefined;
    const from = now - span;
    let bytes = 0;
    // A bucket is counted when it started inside the window: at most one bucket's worth of error.
    for (const bucket of this.#buckets) if (bucket.at >= from && bucket.at <= now) bytes += bucket.bytes;
    return (bytes * 1000) / span;
  }

  #prune(now: number): void {
    const oldest = now - this.options.windowMs - 2 * BUCKET_MS;
    let drop = 0;
    while (drop < this.#buckets.length && this.#buckets[drop]!.at < oldest) drop++;
    if (drop > 0) this.#buckets.splice(0, drop);
  }
}

/**
 * The expected cost of opening one more connection to a host, smoothed over the connections opened so far: one
 * slow handshake should not stop splitting, nor one fast one start a storm. Undefined `previous` = first sample.
 */
export function smoothSetupCost(previous: number | undefined, sampleMs: number, weight = 0.3): number {
  if (!Number.isFinite(sampleMs) || sampleMs < 0) throw new RangeError(`Expected a setup time >= 0 ms, got ${sampleMs}`);
  return previous === undefined ? sampleMs : previous + weight * (sampleMs - previous);
}

/** Median of the rates known (undefined ones skipped); undefined when none is known. */
export function medianRate(rates: ReadonlyArray<number | undefined>): number | undefined {
  const known = rates.filter((r): r is number => r !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[mid] : (known[mid - 1]! + known[mid]!) / 2;
}
