/**
 * Turns a failed attempt into "retry after N ms" or "give up with this error": the pure backoff policy lives in
 * retry.ts; this maps real error objects (a source's typed errors, node's and undici's transport errors) onto it.
 */
import { NetworkError, PdlError, RemoteStatusError, ShortBodyError, StallError } from '../errors.js';
import { withMessage } from '../error-wrap.js';
import { maskSecrets } from '../job/resolved.js';
import { chooseRetryDelay, classifyNetworkError } from './retry.js';

/** `exhausted`: the error was retryable, but no retry was left. */
export type RetryDecision = { retry: true; delayMs: number; reason: string } | { retry: false; error: PdlError; exhausted: boolean; reason: string };

/** `attempt` is the retry about to be made (1 = first retry); `retries` the allowed number. */
export function classifyRetry(error: unknown, attempt: number, retries: number, url: string, secrets: readonly string[]): RetryDecision {
  const retryable = isRetryable(error);
  const reason = describe(error, secrets);
  if (!retryable || attempt > retries) {
    const exhausted = attempt > retries && retryable;
    return { retry: false, error: finalError(error, reason, url, exhausted ? retries : undefined), exhausted, reason };
  }
  const retryAfter = error instanceof RemoteStatusError ? error.retryAfterMs : undefined;
  return { retry: true, delayMs: chooseRetryDelay(attempt, retryAfter), reason };
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof RemoteStatusError) return error.retryable;
  if (error instanceof ShortBodyError || error instanceof StallError) return true;
  if (error instanceof PdlError) return false;
  return classifyNetworkError(error) === 'retry';
}

function finalError(error: unknown, reason: string, url: string, exhausted: number | undefined): PdlError {
  const suffix = exhausted !== undefined ? ` (after ${exhausted} ${exhausted === 1 ? 'retry' : 'retries'})` : '';
  if (error instanceof PdlError) return suffix ? withMessage(error, `${error.message}${suffix}`) : error;
  return new NetworkError(`${reason}${suffix}`, { url, cause: error });
}

function describe(error: unknown, secrets: readonly string[]): string {
  if (error instanceof PdlError) return maskSecrets(error.message, secrets);
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return maskSecrets(typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message, secrets);
}
