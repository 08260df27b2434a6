/**
 * One rate limiter shared by every connection of a run.
 * Waiters are served strictly in arrival order, so a connection asking for a big chunk is not starved by
 * others asking for small ones. A request larger than the burst is granted once the bucket is full and
 * leaves it in debt, so the long-run rate holds without splitting requests.
 * Clock and timers are injectable for tests; the pending timer keeps the process alive on purpose (someone
 * is waiting for it) and is cleared as soon as nobody waits.
 */

export interface TokenBucketTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TokenBucketOptions {
  /** Bytes per second; 0 = unlimited. */
  rate: number;
  /** Bytes that may go out at once after an idle spell. Default rate/10, at least 16 KiB. */
  burst?: number;
  /** Milliseconds, monotonic. Default performance.now. */
  now?: () => number;
  timers?: TokenBucketTimers;
}

interface Waiter {
  n: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const MIN_DEFAULT_BURST = 16 * 1024;

const realTimers: TokenBucketTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function assertNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`Expected ${name} to be a finite number >= 0, got ${value}`);
}

export class TokenBucket {
  #rate = 0;
  #burst = MIN_DEFAULT_BURST;
  readonly #explicitBurst: number | undefined;
  /** May be negative: debt left by a request larger than the burst. */
  #tokens: number;
  #last: number;
  readonly #now: () => number;
  readonly #timers: TokenBucketTimers;
  readonly #queue: Waiter[] = [];
  #timer: unknown = undefined;

  constructor(options: TokenBucketOptions) {
    if (options.burst !== undefined && (!Number.isFinite(options.burst) || options.burst < 1)) {
      throw new RangeError(`Expected burst to be a finite number >= 1, got ${options.burst}`);
    }
    this.#explicitBurst = options.burst;
    this.#now = options.now ?? (() => performance.now());
    this.#timers = options.timers ?? realTimers;
    this.#setRateAndBurst(options.rate);
    this.#tokens = this.#burst;
    this.#last = this.#now();
  }

  /** True when there is no limit: hot paths check this and skip `take` altogether. */
  get unlimited(): boolean {
    return this.#rate === 0;
  }

  get rate(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Callers waiting for tokens. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves when `n` bytes may be sent. Rejects with `signal.reason` if aborted first (the bytes are not taken). */
  take(n: number, signal?: AbortSignal): Promise<void> {
    assertNonNegative('n', n);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#rate === 0 || n === 0) return Promise.resolve();
    if (this.#queue.length === 0) {
      this.#refill();
      if (this.#grantable(n)) {
        this.#tokens -= n;
        return Promise.resolve();
      }
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { n, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => this.#abort(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#schedule();
    });
  }

  /** Change the rate for everyone from now on; 0 lifts the limit and releases every waiter. */
  setRate(rate: number): void {
    this.#refill();
    this.#setRateAndBurst(rate);
    this.#tokens = Math.min(this.#tokens, this.#burst);
    this.#drain();
  }

  #setRateAndBurst(rate: number): void {
    assertNonNegative('rate', rate);
    this.#rate = rate;
    this.#burst = this.#explicitBurst ?? Math.max(MIN_DEFAULT_BURST, rate / 10);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    this.#last = now;
    if (this.#rate === 0) this.#tokens = this.#burst;
    else if (elapsed > 0) this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
  }

  /** A request larger than the burst waits for a full bucket, then goes into debt. */
  #grantable(n: number): boolean {
    return this.#tokens >= Math.min(n, this.#burst);
  }

  #drain(): void {
    this.#refill();
    let head = this.#queue[0];
    while (head !== undefined && (this.#rate === 0 || this.#grantable(head.n))) {
      this.#queue.shift();
      if (this.#rate !== 0) this.#tokens -= head.n;
      this.#settle(head);
      head.resolve();
      head = this.#queue[0];
    }
    this.#schedule();
  }

  /** (Re)arm the one timer for the head of the queue, or clear it when nobody waits. */
  #schedule(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const head = this.#queue[0];
    if (head === undefined) return;
    const missing = Math.min(head.n, this.#burst) - this.#tokens;
    const ms = Math.max(1, Math.ceil((missing * 1000) / this.#rate));
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, ms);
  }

  #abort(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index === -1) return;
    this.#queue.splice(index, 1);
    this.#settle(waiter);
    waiter.reject(waiter.signal?.reason);
    // The head may have been blocking smaller requests behind it.
    if (index === 0) this.#drain();
  }

  #settle(waiter: Waiter): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }
}
