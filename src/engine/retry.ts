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

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: IMF-fixdate, plus the obsolete RFC 850 and asctime forms recipients must accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * Parse an HTTP-date to ms since the epoch. Hand-written rather than Date.parse, which accepts "-1" and "2024"
 * as dates and reads asctime (which has no zone, but means GMT) as local time.
 */
export function parseHttpDate(value: string, now: number): number | undefined {
  const parts = httpDateParts(value, now);
  if (parts === undefined) return undefined;
  const [year, month, day, h, m, s] = parts;
  const time = Date.UTC(year, month, day, h, m, s);
  const date = new Date(time);
  // Date.UTC rolls "31 Feb" or "25:00" over silently; a date that does not round-trip is garbage.
  const roundTrips =
    date.getUTCFullYear() === year && date.getUTCMonth() === month && date.getUTCDate() === day && date.getUTCHours() === h && date.getUTCMinutes() === m && date.getUTCSeconds() === s;
  return roundTrips ? time : undefined;
}

/** [year, month 0-11, day, hours, minutes, seconds] of the three HTTP-date forms. */
function httpDateParts(value: string, now: number): [number, number, number, number, number, number] | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match) return [Number(match[3]), monthIndex(match[2]), Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6])];
  if ((match = RFC_850.exec(value))) {
    // Two-digit years more than 50 years in the future mean the past century (RFC 9110 §5.6.7).
    const latest = new Date(now).getUTCFullYear() + 50;
    let year = 2000 + Number(match[3]);
    while (year > latest) year -= 100;
    return [year, monthIndex(match[2]), Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6])];
  }
  if ((match = ASCTIME.exec(value))) {
    return [Number(match[6]), monthIndex(match[1]), Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5])];
  }
  return undefined;
}

function monthIndex(name: string | undefined): number {
  return MONTHS.indexOf((name ?? '').toLowerCase());
}

/**
 * Retry-After → milliseconds to wait from `now`: delta-seconds (digits only) or an HTTP-date.
 * Dates in the past give 0; anything else (negative, fractional, junk) gives undefined.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, Number.MAX_SAFE_INTEGER);
  const date = parseHttpDate(trimmed, now);
  return date === undefined ? undefined : Math.max(0, date - now);
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
 * Statuses worth retrying: 408 Request Timeout, 429 Too Many Requests, and 5xx — except 501 Not Implemented
 * and 505 HTTP Version Not Supported, which say the server cannot do this request at all, so asking again
 * only delays the failure.
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
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
