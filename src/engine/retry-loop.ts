/**
 * The one retry loop of pdl: every kind of request (a byte range, a conditional check, a checksum list, a plan
 * probe) is attempted through it, with the pure policy of retry-decision.ts and the one abortable sleep below.
 */
import { classifyRetry, type RetryDecision } from './retry-decision.js';

export interface RetryInfo {
  /** The retry about to be made: 1 for the first. */
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface RetryLoopOptions {
  /** Retries allowed after the first attempt. */
  retries: number;
  /** Masked URL and the secrets to mask, for the final error's message. */
  url: string;
  secrets: readonly string[];
  /** True when the loop must end without another attempt (the run stopped, the file failed or restarts). */
  stopped(): boolean;
  /** Ends a wait between attempts early. Read after each failure (a connection renews its signal per attempt). */
  waitSignal(): AbortSignal;
  /** Bytes of progress so far: an attempt that moved it enough resets the retry count. */
  progress?: () => number;
  /** Turn what an attempt threw into the reason to judge (e.g. the abort reason of a stalled request). */
  reasonOf?: (error: unknown) => unknown;
  /** Told before each wait. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Decide about a failed attempt that moved `progress` by this many bytes, counting it where the caller keeps
   * count; `attempt` is the retry about to be made. Default: classifyRetry, and any progress resets the count.
   */
  judge?: (reason: unknown, progress: number) => { decision: RetryDecision; attempt: number };
}

export const STOPPED: unique symbol = Symbol('stopped');

/**
 * Run `attempt` until it returns, retrying what is worth retrying after a backoff. Resolves with the attempt's
 * value, or STOPPED when `stopped()` turned true; rejects with the final error when retries ran out or the failure
 * is not one to retry.
 */
export async function retrying<T>(attempt: () => Promise<T>, options: RetryLoopOptions): Promise<T | typeof STOPPED> {
  let failures = 0;
  for (;;) {
    if (options.stopped()) return STOPPED;
    const before = options.progress?.() ?? 0;
    try {
      return await attempt();
    } catch (error) {
      if (options.stopped()) return STOPPED;
      const reason = options.reasonOf ? options.reasonOf(error) : error;
      const progress = (options.progress?.() ?? 0) - before;
      let judged: { decision: RetryDecision; attempt: number };
      if (options.judge) {
        judged = options.judge(reason, progress);
      } else {
        if (progress > 0) failures = 0;
        judged = { decision: classifyRetry(reason, failures + 1, options.retries, options.url, options.secrets), attempt: ++failures };
      }
      const { decision, attempt } = judged;
      if (!decision.retry) throw decision.error;
      options.onRetry?.({ attempt, delayMs: decision.delayMs, reason: decision.reason });
      await sleep(decision.delayMs, options.waitSignal());
    }
  }
}

/** Wait `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
