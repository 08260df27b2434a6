/**
 * `ifExists: newer`: one conditional GET — `If-None-Match` with the strong ETag pdl recorded, else
 * `If-Modified-Since` with the server's own Last-Modified (never the local mtime: clocks differ, and copying a file
 * changes its mtime) — sent as a file's usual first request, `Range: bytes=0-`. A 304 means the local copy is
 * current. A 200 or 206 means a new version: that answer is handed back unread and becomes the download's first
 * range (a 206 also proves ranges, so other connections join as usual; a 416 is an empty new version), so a changed
 * file is transferred once.
 */
import type { Dispatcher } from 'undici';
import { parseContentLength, parseContentRange } from '../http/headers.js';
import { get, type GetResponse } from '../http/request.js';
import type { MirrorEntry } from '../storage/mirror-state.js';
import { readValidators, statusError } from './fetch-range.js';
import { withRetries, type RetryLoopOptions } from './retry-loop.js';

export interface ConditionalRequest extends RetryLoopOptions {
  dispatcher: Dispatcher;
  url: string;
  userHeaders: Record<string, string>;
  entry: MirrorEntry;
}

export type ConditionalResult = { kind: 'not-modified' } | { kind: 'stopped' } | { kind: 'modified'; response: GetResponse };

/** The request a new version's answer must be the answer to, when it is used as the first range. */
export const FIRST_RANGE = 'bytes=0-';

export function conditionalHeaders(entry: Pick<MirrorEntry, 'etag' | 'lastModified'>): Record<string, string> {
  if (entry.etag) return { 'if-none-match': entry.etag };
  if (entry.lastModified) return { 'if-modified-since': entry.lastModified };
  return {};
}

export async function checkRemote(request: ConditionalRequest): Promise<ConditionalResult> {
  const answer = await withRetries(request, (signal) => askOnce(request, signal));
  return answer === 'stopped' ? { kind: 'stopped' } : answer;
}

/** An answer not used after all (the run stopped, the file failed before its first range): close its socket. */
export function discardResponse(response: GetResponse | undefined): void {
  if (!response) return;
  const { body } = response;
  if (body.destroyed || body.readableEnded) return;
  // undici reports a destroyed body as an 'error' (AbortError): expected here, not a crash.
  body.on('error', () => undefined);
  body.destroy();
}

async function askOnce(request: ConditionalRequest, signal: AbortSignal): Promise<ConditionalResult> {
  const response = await get({
    dispatcher: request.dispatcher,
    url: request.url,
    userHeaders: request.userHeaders,
    pdlHeaders: { 'accept-encoding': 'identity', range: FIRST_RANGE, ...conditionalHeaders(request.entry) },
    signal,
    secrets: request.secrets,
  });
  const { statusCode, headers, body } = response;
  if (statusCode === 304) {
    // Empty by definition: read to its end so the socket goes back to the pool (a mirror run is mostly 304s).
    await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    return { kind: 'not-modified' };
  }
  if (statusCode === 200 || statusCode === 206) {
    // A server that ignores conditions but still sends the same strong ETag and length has not changed the file.
    const etag = readValidators(headers).etag;
    const length = parseContentLength(headers['content-length']);
    const size = statusCode === 206 ? parseContentRange(headers['content-range'])?.size : length.ok ? length.value : undefined;
    if (etag !== undefined && etag === request.entry.etag && size === request.entry.size) {
      discardResponse(response);
      return { kind: 'not-modified' };
    }
    return { kind: 'modified', response };
  }
  // No byte 0 to send: the new version is empty. The download's first-range rules read that answer.
  if (statusCode === 416) return { kind: 'modified', response };
  await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
  throw statusError(statusCode, headers, request.displayUrl);
}
