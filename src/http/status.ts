/** HTTP status codes mapped onto pdl's errors: all the engine learns of them is retryable / wait / overloaded. */
import { HttpStatusError } from '../errors.js';
import { parseRetryAfter } from './retry-after.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Statuses worth retrying: 408 Request Timeout, 429 Too Many Requests, and 5xx — except 501 Not Implemented
 * and 505 HTTP Version Not Supported, which say the server cannot do this request at all, so asking again
 * only delays the failure.
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

export function statusError(status: number, headers: Headers, url: string, now = Date.now()): HttpStatusError {
  const retryable = isRetryableStatus(status);
  const retryAfter = retryable ? parseRetryAfter(single(headers['retry-after']), now) : undefined;
  return new HttpStatusError(status, `HTTP ${status}`, { url, retryable, retryAfterMs: retryAfter, overloaded: status === 429 || status === 503 });
}

export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
