/**
 * Retry policy, pure: how long to wait before the next attempt and whether an attempt is worth making.
 * Randomness is injected so tests are exact; the engine owns timers and the attempt count.
 */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 250 ms. */
  baseMs?: number;
  /** Upper bound of the doubling delay. Default 30 s. */
  maxMs?: number;
  /** Returns a number in [0, 1). Default Math.random. */
  random?: () => number;
}

export interface RetryDelayOptions extends BackoffOptions {
  /** Longest wait we accept from a server's Retry-After. Default 60 s. */
  capMs?: number;
}

/**
 * Exponential backoff with "equal jitter": the doubling delay d = min(maxMs, baseMs·2^(attempt−1)), then
 * d/2 + random·d/2. Half fixed so a retry never fires instantly, half random so connections that failed
 * together do not retry together. `attempt` is 1 for the first retry.
 */
export function retryDelay(attempt: number, options: BackoffOptions = {}): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new RangeError(`Expected attempt to be an integer >= 1, got ${attempt}`);
  }
  const baseMs = options.baseMs ?? 250;
  const maxMs = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  // 2 ** 1100 is Infinity, which min() turns into maxMs: no overflow to guard against.
  const delay = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(delay / 2 + (r * delay) / 2);
}

/**
 * The wait before retry number `attempt`. Retry-After is a lower bound ("wait at least this long"), so we wait
 * max(Retry-After, backoff): a server answering "Retry-After: 0" to every attempt still gets a growing backoff.
 * A server asking for more than `capMs` gets `capMs`: we try again then rather than stall the run for hours;
 * the retry count still bounds how often.
 */
export function chooseRetryDelay(attempt: number, retryAfterMs: number | undefined, options: RetryDelayOptions = {}): number {
  const capMs = options.capMs ?? 60_000;
  const backoff = retryDelay(attempt, options);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return backoff;
  return Math.min(capMs, Math.max(retryAfterMs, backoff));
}

/**
 * Transient transport failures. Everything else is fatal — notably:
 * - TLS certificate errors (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …):
 *   the same certificate comes back next time.
 * - ENOTFOUND: the resolver answered that the name does not exist (typically a typo in the job file); fail fast
 *   with a clear message. A resolver that merely failed reports EAI_AGAIN, which is retried.
 * - Aborts and errors without a code (programming errors): retrying hides them.
 */
const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  // pdl's own StallError: no bytes for `timeout` ms; a fresh connection usually gets going again.
  'E_STALL',
]);

/** 'retry' for transient network failures, 'fatal' otherwise. Looks through `cause` chains (fetch wraps errors)
 * and AggregateErrors (happy-eyeballs connects fail once per address). */
export function classifyNetworkError(err: unknown): 'retry' | 'fatal' {
  return isTransient(err, 0) ? 'retry' : 'fatal';
}

function isTransient(err: unknown, depth: number): boolean {
  if (depth > 8 || typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  if (e.name === 'AbortError') return false;
  if (typeof e.code === 'string' && e.code !== '') return RETRY_CODES.has(e.code);
  if (Array.isArray(e.errors) && e.errors.some((inner) => isTransient(inner, depth + 1))) return true;
  return isTransient(e.cause, depth + 1);
}
