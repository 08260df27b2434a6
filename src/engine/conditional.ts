/**
 * `ifExists: newer`: one conditional GET, without Range — `If-None-Match` with the strong ETag pdl recorded, else
 * `If-Modified-Since` with the server's own Last-Modified (never the local mtime: clocks differ, and copying a file
 * changes its mtime). A 304 means the local copy is current. A 200 means a new version: its body is dropped (the
 * download then starts the usual way, in ranges over several connections) — costing one round trip and whatever
 * was in flight, only for files that did change.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { StallError } from '../errors.js';
import { parseContentLength } from '../http/headers.js';
import { get } from '../http/request.js';
import type { MirrorEntry } from '../storage/mirror-state.js';
import { readValidators, statusError } from './fetch-range.js';
import { classifyRetry } from './retry-decision.js';

export interface ConditionalRequest {
  dispatcher: Dispatcher;
  url: string;
  userHeaders: Record<string, string>;
  secrets: readonly string[];
  displayUrl: string;
  entry: MirrorEntry;
  /** The run's signal: a stop ends the check with 'stopped'. */
  signal: AbortSignal;
  retries: number;
  /** No answer (headers) within this many ms counts as a stall, retried like one. */
  timeoutMs: number;
  onRetry: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export type ConditionalResult = 'not-modified' | 'modified' | 'stopped';

export function conditionalHeaders(entry: Pick<MirrorEntry, 'etag' | 'lastModified'>): Record<string, string> {
  if (entry.etag) return { 'if-none-match': entry.etag };
  if (entry.lastModified) return { 'if-modified-since': entry.lastModified };
  return {};
}

export async function checkRemote(request: ConditionalRequest): Promise<ConditionalResult> {
  for (let attempt = 1; ; attempt++) {
    if (request.signal.aborted) return 'stopped';
    const timeout = AbortSignal.timeout(request.timeoutMs);
    try {
      return await askOnce(request, AbortSignal.any([request.signal, timeout]));
    } catch (error) {
      if (request.signal.aborted) return 'stopped';
      const reason = timeout.aborted ? new StallError(request.timeoutMs, { url: request.displayUrl }) : error;
      const decision = classifyRetry(reason, attempt, request.retries, request.displayUrl, request.secrets);
      if (!decision.retry) throw decision.error;
      request.onRetry({ attempt, delayMs: decision.delayMs, reason: decision.reason });
      await delay(decision.delayMs, undefined, { signal: request.signal }).catch(() => undefined);
    }
  }
}

async function askOnce(request: ConditionalRequest, signal: AbortSignal): Promise<ConditionalResult> {
  const response = await get({
    dispatcher: request.dispatcher,
    url: request.url,
    userHeaders: request.userHeaders,
    pdlHeaders: { 'accept-encoding': 'identity', ...conditionalHeaders(request.entry) },
    signal,
    secrets: request.secrets,
  });
  const { statusCode, headers, body } = response;
  try {
    if (statusCode === 304) {
      // Empty by definition: read to its end so the socket goes back to the pool (a mirror run is mostly 304s).
      await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      return 'not-modified';
    }
    if (statusCode === 200 || statusCode === 206) {
      // A server that ignores conditions but still sends the same strong ETag and length has not changed the file.
      const etag = readValidators(headers).etag;
      const length = parseContentLength(headers['content-length']);
      const same = statusCode === 200 && etag !== undefined && etag === request.entry.etag && length.ok && length.value === request.entry.size;
      return same ? 'not-modified' : 'modified';
    }
    await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    throw statusError(statusCode, headers, request.displayUrl);
  } finally {
    // Never read a new version's body here: destroying it closes that one socket.
    if (!body.destroyed && !body.readableEnded) {
      // undici reports a destroyed body as an 'error' (AbortError): expected here, not a crash.
      body.on('error', () => undefined);
      body.destroy();
    }
  }
}
