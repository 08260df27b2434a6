/**
 * When a failed attempt counts as progress, and how many failed attempts one file may cost in all. Pure.
 *
 * A server that announces the whole file, sends a little and closes must not keep a download going forever:
 * only real progress (at least MIN_PROGRESS_BYTES and 1 % of the file) resets a connection's retry count, and a
 * file fails once its failed attempts exceed a budget that scales with `retries`, whatever progress they made.
 */
import { NetworkError } from '../errors.js';
import { classifyRetry, type RetryDecision } from './retry-decision.js';

/** Less than this per attempt is a trickle, whatever the file's size. */
export const MIN_PROGRESS_BYTES = 64 * 1024;
/** Failed attempts a file may have for each attempt `retries` allows one request. */
export const BUDGET_PER_ATTEMPT = 10;

/**
 * True when `bytes` received by one attempt before it failed are worth a fresh set of retries: at least 64 KiB and
 * 1 % of the file (of unknown size: 64 KiB). With a known size that bounds such resets at 100 per connection.
 */
export function isRealProgress(bytes: number, fileSize: number | undefined): boolean {
  return bytes >= progressThreshold(fileSize);
}

export function progressThreshold(fileSize: number | undefined): number {
  return fileSize === undefined ? MIN_PROGRESS_BYTES : Math.max(MIN_PROGRESS_BYTES, Math.ceil(fileSize / 100));
}

/** Failed attempts (over all connections, with or without progress) after which the file fails: 10 × (retries + 1). */
export function failedAttemptBudget(retries: number): number {
  return BUDGET_PER_ATTEMPT * (Math.max(0, retries) + 1);
}

/**
 * A connection ran out of retries while the server kept sending a trickle and closing: say that, not only the
 * last socket error, which reads like a one-off.
 */
export function trickleError(attempts: number, bytes: number, fileSize: number | undefined, lastReason: string, url: string, cause: unknown): NetworkError {
  return new NetworkError(
    `server keeps closing the connection early: ${attempts} attempts in a row brought only ${bytes} bytes ` +
      `(an attempt counts as progress from ${progressThreshold(fileSize)} bytes); last: ${lastReason}`,
    { url, cause },
  );
}

/** The file used up its budget; what arrived is kept for a rerun (a network failure, exit 4). */
export function budgetExhaustedError(failedAttempts: number, receivedBytes: number, retries: number, url: string, cause: unknown): NetworkError {
  return new NetworkError(
    `server keeps closing the connection early: ${failedAttempts} failed attempts, ${receivedBytes} bytes received in total ` +
      `(at most ${failedAttemptBudget(retries)} failed attempts per file with retries ${retries}); rerun to resume`,
    { url, cause },
  );
}

export interface FailedAttempt {
  error: unknown;
  /** Bytes this attempt added to the file (0 when they will be fetched again, as for an encoded stream). */
  progress: number;
  size: number | undefined;
  retries: number;
  /** Bytes received for the file in this run, for the message. */
  received: number;
  url: string;
  secrets: readonly string[];
}

/** One connection's retries: `attempt` is reset only by real progress; `trickled` sums the bytes since. */
export interface ConnectionRetries {
  attempt: number;
  trickled: number;
}

/**
 * Decide about one failed attempt, counting it in `conn` and in the file's `file.failed`: retry (after the
 * backoff), or give up with the error to fail the file with.
 */
export function judgeFailedAttempt(a: FailedAttempt, conn: ConnectionRetries, file: { failed: number }): RetryDecision {
  if (isRealProgress(a.progress, a.size)) {
    conn.attempt = 0;
    conn.trickled = 0;
  } else {
    conn.trickled += a.progress;
  }
  const decision = classifyRetry(a.error, conn.attempt + 1, a.retries, a.url, a.secrets);
  if (decision.retry === false) {
    if (!decision.exhausted || a.progress === 0) return decision;
    return { ...decision, error: trickleError(conn.attempt + 1, conn.trickled, a.size, decision.reason, a.url, a.error) };
  }
  if (++file.failed > failedAttemptBudget(a.retries)) {
    return { retry: false, error: budgetExhaustedError(file.failed, a.received, a.retries, a.url, a.error), exhausted: true, reason: decision.reason };
  }
  conn.attempt++;
  return decision;
}
