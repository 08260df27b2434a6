/**
 * Retries of a small exchange made before a file's download (the conditional request of `newer`, the size probe of
 * a present file): each attempt gets `timeoutMs` to produce its answer's headers, failures go through the same
 * policy as range requests (classifyRetry), and a stop of the run ends the loop with 'stopped'.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { StallError } from '../errors.js';
import { classifyRetry } from './retry-decision.js';

export interface RetryLoopOptions {
  displayUrl: string;
  secrets: readonly string[];
  /** The run's signal: a stop ends the loop with 'stopped'. */
  signal: AbortSignal;
  retries: number;
  /** No answer (headers) within this many ms counts as a stall, retried like one. */
  timeoutMs: number;
  onRetry: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export async function withRetries<T>(options: RetryLoopOptions, attemptOnce: (signal: AbortSignal) => Promise<T>): Promise<T | 'stopped'> {
  for (let attempt = 1; ; attempt++) {
    if (options.signal.aborted) return 'stopped';
    // Not AbortSignal.timeout: an answer whose body is read afterwards (a new version under `newer`) must not be cut
    // when the timer fires later; the timer covers the wait for the headers only.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new StallError(options.timeoutMs, { url: options.displayUrl })), options.timeoutMs);
    try {
      return await attemptOnce(AbortSignal.any([options.signal, timeout.signal]));
    } catch (error) {
      if (options.signal.aborted) return 'stopped';
      const reason = timeout.signal.aborted ? timeout.signal.reason : error;
      const decision = classifyRetry(reason, attempt, options.retries, options.displayUrl, options.secrets);
      if (!decision.retry) throw decision.error;
      options.onRetry({ attempt, delayMs: decision.delayMs, reason: decision.reason });
      await delay(decision.delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }
}
