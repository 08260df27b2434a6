/**
 * One attempt at one byte range: send the request, check the answer against what was asked, stream the body
 * into place. It decides nothing about retries or restarts; it reports what happened.
 */
import type { Dispatcher } from 'undici';
import { HttpStatusError, NetworkError, ProtocolError, RemoteChangedError } from '../errors.js';
import { get } from '../http/request.js';
import { decodeBody, encodedRangeError, parseContentEncoding, unsupportedCodingError } from '../http/content-coding.js';
import { formatRange, parseContentLength, parseContentRange, parseEtag } from '../http/headers.js';
import { pumpBody, type ByteSink, type RangeCursor } from './body-writer.js';

export interface Validators {
  /** Strong ETag, quoted. */
  etag: string | undefined;
  lastModified: string | undefined;
}

export interface RangeRequest {
  dispatcher: Dispatcher;
  url: string;
  userHeaders: Record<string, string>;
  secrets: readonly string[];
  displayUrl: string;
  signal: AbortSignal;
  cursor: RangeCursor;
  /** Send a Range header at all (false: plain GET of the whole file). */
  useRange: boolean;
  /** Ask for an open-ended range (`bytes=N-`) rather than up to `cursor.end`. */
  openEnded: boolean;
  /** The file's first request: it learns the size, and a 200 to it is simply the whole file as one stream. */
  first: boolean;
  /** Known size of the file, if any: every 206 must agree with it. */
  size: number | undefined;
  /** Send If-Range with these (strong ETag, else Last-Modified). */
  ifRange: Validators | undefined;
  sink: ByteSink;
  /** Runs before each chunk is taken (the rate limiter); may pause. */
  beforeChunk: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** Called once the answer is accepted, before any body byte is written (learn size, preallocate …). */
  onResponse: (info: ResponseInfo) => Promise<void> | void;
}

/** What the server told us about the file in its answer. */
export interface ResponseInfo {
  status: number;
  /** Total size if the answer told it. */
  size: number | undefined;
  /** True when this answer proves range support (a 206 matching the request). */
  ranged: boolean;
  validators: Validators;
  finalUrl: string;
  crossOrigin: boolean;
  headers: Record<string, string | string[] | undefined>;
  /** The body came content-coded and is decoded: one stream, never resumed or split; its end is the size. */
  decoded: boolean;
}

export type RangeOutcome =
  /** The cursor reached its end, or (unknown size) the body ended cleanly. */
  | { kind: 'complete'; info: ResponseInfo }
  /** The file on the server is not the one we hold bytes of (validators or size differ): start over. */
  | { kind: 'changed'; info: ResponseInfo }
  /** The server answered a range request with the whole, unchanged file: it does not do ranges. */
  | { kind: 'no-ranges'; info: ResponseInfo }
  /** 416 to `bytes=0-`: the file is empty. */
  | { kind: 'empty'; info: ResponseInfo };

/** A retryable HTTP status, carrying Retry-After. */
export class RetryableStatusError extends HttpStatusError {
  readonly retryAfter: string | undefined;

  constructor(status: number, message: string, retryAfter: string | undefined, url: string) {
    super(status, message, { url });
    this.retryAfter = retryAfter;
  }
}

export async function fetchRange(request: RangeRequest): Promise<RangeOutcome> {
  const { cursor } = request;
  const pdlHeaders: Record<string, string> = { 'accept-encoding': 'identity' };
  const asked = cursor.position;
  // What this request asks for, fixed now: `cursor.end` may shrink while the request is in flight (a split).
  const askedEnd = request.useRange && !request.openEnded ? cursor.end : Infinity;
  // Leading bytes of a 200 body that we already hold (a plain stream resumed by reading past them).
  let skip = 0;
  if (request.useRange) {
    const end = request.openEnded || !Number.isFinite(cursor.end) ? undefined : cursor.end;
    pdlHeaders.range = formatRange(asked, end);
    const validator = request.ifRange?.etag ?? request.ifRange?.lastModified;
    if (validator) pdlHeaders['if-range'] = validator;
  }
  const response = await get({
    dispatcher: request.dispatcher,
    url: request.url,
    userHeaders: request.userHeaders,
    pdlHeaders,
    signal: request.signal,
    secrets: request.secrets,
  });
  const { statusCode, headers, body } = response;
  const info: ResponseInfo = {
    status: statusCode,
    size: undefined,
    ranged: false,
    validators: readValidators(headers),
    finalUrl: response.finalUrl,
    crossOrigin: response.crossOrigin,
    headers,
    decoded: false,
  };
  try {
    const coding = statusCode === 200 || statusCode === 206 ? parseContentEncoding(headers['content-encoding']) : undefined;
    if (coding?.ok === false) throw unsupportedCodingError(coding, request.displayUrl);
    const encoded = coding !== undefined && coding.codings.length > 0;
    if (statusCode === 206) {
      if (!request.useRange) throw new ProtocolError('206 Partial Content to a request without Range', { url: request.displayUrl });
      // Offsets in an encoded representation say nothing about the file's bytes.
      if (encoded) throw encodedRangeError(coding.header, request.displayUrl);
      const range = parseContentRange(single(headers['content-range']));
      if (range && range.start === asked && request.size !== undefined && range.size !== request.size) {
        info.size = range.size;
        return { kind: 'changed', info };
      }
      if (!range || range.start !== asked) {
        throw new ProtocolError(
          `server answered a request for bytes from ${asked} with Content-Range ${String(headers['content-range'] ?? '(none)')}`,
          { url: request.displayUrl },
        );
      }
      if (range.end > askedEnd) {
        throw new ProtocolError(`server sent more than the range asked for (${String(headers['content-range'])})`, { url: request.displayUrl });
      }
      if (range.size === undefined && range.end < askedEnd) {
        // `bytes a-b/*` and less than asked: the file may go on past b, and nothing says how far. Never take the
        // end of such a body for the end of the file; the caller falls back to one plain stream.
        throw new ProtocolError(`server sent ${String(headers['content-range'])} without the total length`, { url: request.displayUrl });
      }
      info.size = range.size;
      info.ranged = range.size !== undefined;
      // A server may answer with less than asked; the rest goes back to the pool of work.
      cursor.end = Math.min(cursor.end, range.end);
    } else if (statusCode === 200) {
      const length = parseContentLength(headers['content-length']);
      if (length.ok === false) throw new ProtocolError(`invalid Content-Length: ${length.reason}`, { url: request.displayUrl });
      // An encoded body's length is not the file's: the file ends where the decoded stream does.
      info.size = encoded ? undefined : length.value;
      info.decoded = encoded;
      // Only a file's very first request (bytes=0-, nothing to validate) may turn into one plain stream here.
      // Anything else answered with 200 is either a changed file or a server that dropped ranges: the caller decides.
      const firstRequest = asked === 0 && request.first && request.ifRange === undefined;
      const held = request.ifRange;
      const changed = (held !== undefined && validatorsDiffer(held, info.validators)) || (request.size !== undefined && info.size !== request.size);
      if (request.useRange && !firstRequest) return { kind: changed ? 'changed' : 'no-ranges', info };
      if (!request.useRange && asked > 0) {
        // A plain stream retried after a failure: the body starts at byte 0 again, so read past what we hold.
        // Decoded bytes are never resumed into (the caller restarts an encoded stream from 0 itself).
        if (changed || encoded) return { kind: 'changed', info };
        skip = asked;
      }
      // The whole file comes as one stream: this cursor now covers all of it, whatever range it had asked for.
      if (firstRequest) cursor.end = info.size ?? Infinity;
      else if (info.size !== undefined) cursor.end = Math.min(cursor.end, info.size);
    } else if (statusCode === 416 && request.useRange) {
      const total = parseContentRange(single(headers['content-range']))?.unsatisfiedSize;
      await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      if (total !== undefined && request.size !== undefined && total !== request.size) {
        // The file shrank below the range we asked for (a resume, or a change between requests).
        info.size = total;
        return { kind: 'changed', info };
      }
      if (total === 0 && asked === 0 && request.first) {
        info.size = 0;
        return { kind: 'empty', info };
      }
      throw new ProtocolError(`416 Range Not Satisfiable for ${pdlHeaders.range ?? 'a range'}`, { url: request.displayUrl });
    } else {
      await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw statusError(statusCode, headers, request.displayUrl);
    }
    // Read the body from now on (a reset must not lose what already arrived), but write nothing before the caller
    // accepted the answer and prepared the file.
    const ready = Promise.resolve().then(() => request.onResponse(info));
    const decoded = encoded ? decodeBody(body, coding.codings, coding.header, request.displayUrl) : undefined;
    const pumped = pumpBody(decoded?.stream ?? body, { cursor, sink: request.sink, skip, limiter: request.beforeChunk, signal: request.signal, gate: ready });
    const { unskipped } = await (decoded ? pumped.catch((error: unknown) => Promise.reject(decoded.explain(error))) : pumped);
    if (unskipped > 0) {
      // The whole body is shorter than the bytes we already hold: not the file we were reading.
      throw new RemoteChangedError(`the file is now shorter than the ${skip} bytes already received`, { url: request.displayUrl });
    }
    if (Number.isFinite(cursor.end) && cursor.position < cursor.end) {
      throw new ShortBodyError(cursor.position, cursor.end, request.displayUrl);
    }
    return { kind: 'complete', info };
  } finally {
    // An unread or cut-short body must not go back to the pool: destroying it closes that socket.
    if (!body.destroyed && !body.readableEnded) {
      // undici reports the destroy as an 'error' (AbortError); a body thrown away unread has no other listener.
      body.on('error', () => undefined);
      body.destroy();
    }
  }
}

/** The body ended before the range did: the connection was closed early. Retryable; a network failure in the end. */
export class ShortBodyError extends NetworkError {
  constructor(position: number, end: number, url: string) {
    super(`connection closed at byte ${position}, expected up to ${Number.isFinite(end) ? end : 'the end'}`, { url });
  }
}

export function statusError(status: number, headers: Record<string, string | string[] | undefined>, url: string): HttpStatusError {
  const text = `HTTP ${status}`;
  if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    return new RetryableStatusError(status, text, single(headers['retry-after']), url);
  }
  return new HttpStatusError(status, text, { url });
}

export function readValidators(headers: Record<string, string | string[] | undefined>): Validators {
  const etag = parseEtag(single(headers.etag));
  const lastModified = single(headers['last-modified']);
  return {
    etag: etag && !etag.weak ? etag.value : undefined,
    lastModified: lastModified && Number.isFinite(Date.parse(lastModified)) ? lastModified : undefined,
  };
}

/** True when the answer's validators show a different version of the file than the one we hold bytes of. */
export function validatorsDiffer(held: Validators, seen: Validators): boolean {
  if (held.etag || seen.etag) return held.etag !== seen.etag;
  return held.lastModified !== seen.lastModified;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
