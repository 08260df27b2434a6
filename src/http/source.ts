/**
 * HTTP as a byte source: ALL of HTTP lives here — the identity encoding, pdl's redirect rules and where later
 * requests go after a redirect, the checks of a 206 against what was asked, status codes mapped onto typed
 * errors (with Retry-After), draining bodies so sockets go back to the pool, and asking the job's URL again when
 * a remembered redirect target (a signed CDN URL) has expired.
 */
import type { Dispatcher } from 'undici';
import { HttpStatusError, ProtocolError } from '../errors.js';
import type { ByteAnswer, ByteRequest, ByteSource, OpenResult, Validators } from '../sources/source.js';
import { validatorsDiffer } from '../sources/source.js';
import { decodeBody, encodedRangeError, parseContentEncoding, unsupportedCodingError, type ContentCoding } from './content-coding.js';
import { formatRange, parseContentLength, parseContentRange, parseDigestHeaders, parseEtag } from './headers.js';
import { get, type GetResponse } from './request.js';
import { single, statusError } from './status.js';

export interface HttpSourceOptions {
  dispatcher: Dispatcher;
  /** The URL as given (secrets expanded). */
  url: string;
  /** Masked, for messages. */
  displayUrl: string;
  /** The user's headers: sent to the URL's own origin only. */
  headers: Record<string, string>;
  secrets: readonly string[];
}

type Headers = Record<string, string | string[] | undefined>;

/** Statuses from a remembered redirect target that mean "ask the original URL again" (an expired signed URL). */
const EXPIRED_TARGET = new Set([401, 403, 404, 410]);
const MAX_RE_RESOLVE = 3;
const DRAIN_LIMIT = 64 * 1024;

export class HttpSource implements ByteSource {
  readonly displayUrl: string;
  readonly #options: HttpSourceOptions;
  /** Where requests go now: the job's URL, or where it last redirected to. */
  #url: string;
  #userHeaders: Record<string, string>;
  #reResolved = 0;

  constructor(options: HttpSourceOptions) {
    this.#options = options;
    this.displayUrl = options.displayUrl;
    this.#url = options.url;
    this.#userHeaders = options.headers;
  }

  /** The URL that answered last (for the state file). */
  get finalUrl(): string {
    return this.#url;
  }

  async open(request: ByteRequest): Promise<OpenResult> {
    for (;;) {
      try {
        return await this.#openOnce(request);
      } catch (error) {
        // Later requests go straight to where the first one was redirected; such targets expire. Ask the job's URL
        // again, which redirects to a fresh one.
        const expired = error instanceof HttpStatusError && EXPIRED_TARGET.has(error.status) && this.#url !== this.#options.url;
        if (!expired || this.#reResolved >= MAX_RE_RESOLVE) throw error;
        this.#reResolved++;
        this.#url = this.#options.url;
        this.#userHeaders = this.#options.headers;
      }
    }
  }

  async #openOnce(request: ByteRequest): Promise<OpenResult> {
    const pdlHeaders: Record<string, string> = { 'accept-encoding': 'identity' };
    const conditional = request.unlessUnchanged;
    // A condition and a range go together (RFC 9110 §13.2.2: the condition first): a changed file's answer is
    // then the file's first range like any other.
    const useRange = request.ranges;
    if (conditional) Object.assign(pdlHeaders, conditionalHeaders(conditional.validators));
    if (useRange) {
      pdlHeaders.range = formatRange(request.start, request.end);
      const validator = request.held?.validators.etag ?? request.held?.validators.lastModified;
      if (validator) pdlHeaders['if-range'] = validator;
    }
    const response = await get({
      dispatcher: this.#options.dispatcher,
      url: this.#url,
      userHeaders: this.#userHeaders,
      pdlHeaders,
      signal: request.signal,
      secrets: this.#options.secrets,
    });
    this.#followRedirect(response);
    let handedOver = false;
    try {
      const result = this.#judge(request, useRange, response);
      if (result.kind === 'bytes') handedOver = true;
      return result;
    } finally {
      if (!handedOver) await drain(response.body);
    }
  }

  #judge(request: ByteRequest, useRange: boolean, response: GetResponse): OpenResult {
    const { statusCode, headers } = response;
    const url = this.displayUrl;
    const coding = statusCode === 200 || statusCode === 206 ? parseContentEncoding(headers['content-encoding']) : undefined;
    if (coding?.ok === false) throw unsupportedCodingError(coding, url);
    const encoded = coding !== undefined && coding.codings.length > 0 ? coding : undefined;
    const validators = readValidators(headers);
    const held = request.held;
    const conditional = request.unlessUnchanged;
    if (statusCode === 304 && conditional) return { kind: 'not-modified' };
    // A server that ignores conditions but still sends the same strong ETag and size has not changed the file.
    const sameAsKept = (size: number | undefined) => conditional !== undefined && validators.etag !== undefined && validators.etag === conditional.validators.etag && size === conditional.size;
    if (statusCode === 206) {
      if (!useRange) throw new ProtocolError('206 Partial Content to a request without Range', { url });
      // Offsets in an encoded representation say nothing about the file's bytes: ask for it as one stream.
      if (encoded) throw encodedRangeError(encoded.header, url);
      const range = parseContentRange(single(headers['content-range']));
      const askedEnd = request.end ?? Infinity;
      if (range?.kind === 'range' && range.start === request.start && held?.size !== undefined && range.size !== held.size) {
        return { kind: 'changed', size: range.size, validators };
      }
      if (range?.kind !== 'range' || range.start !== request.start) {
        throw new ProtocolError(`server answered a request for bytes from ${request.start} with Content-Range ${String(headers['content-range'] ?? '(none)')}`, { url });
      }
      if (range.end > askedEnd) throw new ProtocolError(`server sent more than the range asked for (${String(headers['content-range'])})`, { url });
      if (range.size === undefined && range.end < askedEnd) {
        // `bytes a-b/*` and less than asked: the file may go on past b, and nothing says how far. Never take the end
        // of such a body for the end of the file; the caller falls back to one plain stream.
        throw new ProtocolError(`server sent ${String(headers['content-range'])} without the total length`, { url });
      }
      if (sameAsKept(range.size)) return { kind: 'not-modified' };
      // A server that ignores If-Range may still send another version's bytes: its validators tell.
      if (held && validatorsDiffer(held.validators, validators)) return { kind: 'changed', size: range.size, validators };
      return this.#bytes(response, { size: range.size, ranged: range.size !== undefined, validators, skip: 0, end: range.end });
    }
    if (statusCode === 200) {
      const length = parseContentLength(headers['content-length']);
      if (length.ok === false) throw new ProtocolError(`invalid Content-Length: ${length.reason}`, { url });
      // An encoded body's length is not the file's: the file ends where the decoded stream does.
      const size = encoded ? undefined : length.value;
      if (sameAsKept(size)) return { kind: 'not-modified' };
      // Only a file's very first request (from byte 0, nothing held) may turn into one plain stream here. Anything
      // else answered with 200 is either a changed file or a server that dropped ranges.
      const firstRequest = request.start === 0 && request.first && held === undefined;
      const changed = held !== undefined && (validatorsDiffer(held.validators, validators) || (held.size !== undefined && size !== held.size));
      if (changed) return { kind: 'changed', size, validators };
      if (useRange && !firstRequest) return { kind: 'no-ranges' };
      if (encoded) {
        // Decoded bytes are never continued into: the caller starts an encoded stream again from 0.
        if (request.start > 0) return { kind: 'changed', size, validators };
        return this.#decoded(response, encoded, validators);
      }
      // A plain stream asked again after a failure starts at byte 0: the caller reads past what it holds.
      return this.#bytes(response, { size, ranged: false, validators, skip: request.start, end: size ?? Infinity });
    }
    if (statusCode === 416 && useRange) {
      const range = parseContentRange(single(headers['content-range']));
      const total = range?.kind === 'unsatisfied' ? range.unsatisfiedSize : undefined;
      // The file shrank below the range we asked for (a resume, or a change between requests).
      if (total !== undefined && held?.size !== undefined && total !== held.size) return { kind: 'changed', size: total, validators };
      if (total === 0 && request.start === 0 && request.first) return { kind: 'empty' };
      throw new ProtocolError(`416 Range Not Satisfiable for ${formatRange(request.start, request.end)}`, { url });
    }
    throw statusError(statusCode, headers, url);
  }

  /** A whole-file answer with a content coding, decoded as it streams; the server's digests cover the encoded bytes. */
  #decoded(response: GetResponse, coding: { codings: ContentCoding[]; header: string }, validators: Validators): OpenResult {
    const decoded = decodeBody(response.body, coding.codings, coding.header, this.displayUrl);
    const opened = this.#bytes(response, { size: undefined, ranged: false, validators, skip: 0, end: Infinity });
    if (opened.kind !== 'bytes') return opened;
    return { kind: 'bytes', answer: { ...opened.answer, digests: [], body: decoded.stream, encoded: true, explain: decoded.explain } };
  }

  #bytes(response: GetResponse, parts: Pick<ByteAnswer, 'size' | 'ranged' | 'validators' | 'skip' | 'end'>): OpenResult {
    const { body, headers } = response;
    const answer: ByteAnswer = {
      ...parts,
      digests: parseDigestHeaders(headers),
      encoded: false,
      explain: (error) => error,
      body,
      close() {
        // An unread or cut-short body must not go back to the pool: destroying it closes that one socket. A body
        // whose last byte has arrived (its stream ended, the 'end' event not told yet: the pump stops at the range's
        // last byte) is complete: its connection is already free, and destroying it would only build an error with
        // a stack trace, for every small file (bench/RESULTS.md, issue 12 session 3). It is let run to its end
        // instead, which frees it at once (left as it is, 10,000 of them held 60 MiB more until collected).
        if (body.destroyed || body.readableEnded) return;
        if ((body as { _readableState?: { ended?: boolean } })._readableState?.ended === true) {
          body.resume();
          return;
        }
        // undici reports a destroyed body as an 'error' (AbortError): expected here, not a crash.
        body.on('error', () => undefined);
        body.destroy();
      },
    };
    return { kind: 'bytes', answer };
  }

  /** Later requests go where this answer came from; once a hop left the job's origin, user headers stay off. */
  #followRedirect(response: GetResponse): void {
    if (response.finalUrl === this.#url) return;
    this.#url = response.finalUrl;
    if (response.crossOrigin) this.#userHeaders = {};
  }
}

/** `If-None-Match` with a strong ETag, else `If-Modified-Since` with the server's own Last-Modified. */
export function conditionalHeaders(validators: Validators): Record<string, string> {
  if (validators.etag) return { 'if-none-match': validators.etag };
  if (validators.lastModified) return { 'if-modified-since': validators.lastModified };
  return {};
}

export function readValidators(headers: Headers): Validators {
  const etag = parseEtag(single(headers.etag));
  const lastModified = single(headers['last-modified']);
  return {
    etag: etag && !etag.weak ? etag.value : undefined,
    lastModified: lastModified && Number.isFinite(Date.parse(lastModified)) ? lastModified : undefined,
  };
}

/** Read a small answer to its end so its socket goes back to the pool; a large one closes its socket instead. */
async function drain(body: GetResponse['body']): Promise<void> {
  await body.dump({ limit: DRAIN_LIMIT }).catch(() => undefined);
}
