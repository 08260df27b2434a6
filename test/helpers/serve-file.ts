/**
 * How the fixture server answers one GET or HEAD for one file: validators, conditional requests, ranges,
 * digests and the faults configured for it. fixture-server.ts only routes and records.
 */
import type { ServerResponse } from 'node:http';
import { contentDigest } from './content.js';
import { errorPage, isBodyFault, selectFaults, type Fault } from './faults.js';
import { ifRangeMatches, notModified, parseRange, type RangeRequest, type Validators } from './http-rules.js';
import { sendBody } from './send-body.js';

export type DigestMode = 'repr-digest-sha256' | 'repr-digest-sha512' | 'digest-sha256' | 'wrong-repr-digest';

export interface FileSpec {
  size: number;
  /** Content seed; default: the path. Version 1 serves contentBytes(seed, …); version v > 1 uses `${seed}@v${v}`. */
  seed?: string;
  /** Starting version, default 1. A new version means new content, ETag and Last-Modified. */
  version?: number;
  /** Fixed ETag (quoted or not) that survives version changes, or false for none. Default `"<seed>-v<version>"`. */
  etag?: string | false;
  weakEtag?: boolean;
  /** Fixed Last-Modified, or false for none. Default: 2024-01-01 plus one day per version after the first. */
  lastModified?: string | false;
  /** false: ignore Range, always 200 with the full body and no Accept-Ranges. Default true. */
  acceptRanges?: boolean;
  /** false: 200 responses are chunked, without Content-Length. Default true. */
  contentLength?: boolean;
  /** HEAD behaviour: 'refuse' = 405, 'lie' = Content-Length `headLength` (default size + 1024), 'no-length'. */
  head?: 'ok' | 'refuse' | 'lie' | 'no-length';
  headLength?: number;
  /** Bytes per second per response. */
  throttle?: number;
  digest?: DigestMode;
  faults?: Fault[];
  /** Default application/octet-stream. */
  contentType?: string;
  /** Extra headers on every file response. */
  headers?: Record<string, string>;
  /** Requests lacking one of these exact header values get 401 (header names are case-insensitive). */
  requireHeaders?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** Path without the query; routes match on this. */
  path: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  range: string | undefined;
  ifRange: string | undefined;
  /** Nth request with this method for this path since start/reset(), from 1. */
  attempt: number;
  socketId: number;
  /** Milliseconds since the server started. */
  time: number;
  /** Status sent, once the head is written. */
  status: number | undefined;
  /** Types of the faults applied ('change-version' included). */
  faults: string[];
}

export interface FileState {
  path: string;
  spec: FileSpec;
  version: number;
  /** Per-fault count of requests that passed its filters (see faults.ts). */
  faultHits: number[];
}

const BASE_DATE = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;
const HTML = 'text/html; charset=utf-8';

export function contentSeedOf(file: FileState): string {
  const seed = file.spec.seed ?? file.path;
  return file.version === 1 ? seed : `${seed}@v${file.version}`;
}

export function validatorsOf(file: FileState): Validators {
  const { spec, version } = file;
  let etag: string | undefined;
  if (spec.etag !== false) {
    // Only etagc characters may appear between the quotes.
    const opaque = spec.etag === undefined ? `"${(spec.seed ?? file.path).replace(/[^\x21\x23-\x7e]/g, '_')}-v${version}"` : spec.etag;
    const tag = opaque.startsWith('"') || opaque.startsWith('W/') ? opaque : `"${opaque}"`;
    etag = spec.weakEtag === true && !tag.startsWith('W/') ? `W/${tag}` : tag;
  }
  const lastModified =
    spec.lastModified === false ? undefined : spec.lastModified ?? new Date(BASE_DATE + (version - 1) * DAY_MS).toUTCString();
  return { etag, lastModified };
}

function digestHeader(file: FileState): [string, string] | undefined {
  const mode = file.spec.digest;
  if (mode === undefined) return undefined;
  const algorithm = mode === 'repr-digest-sha512' ? 'sha512' : 'sha256';
  let digest = contentDigest(contentSeedOf(file), file.spec.size, algorithm);
  // A well-formed digest of something else.
  if (mode === 'wrong-repr-digest') digest = contentDigest(digest.toString('hex'), 32, 'sha256');
  const b64 = digest.toString('base64');
  if (mode === 'digest-sha256') return ['Digest', `SHA-256=${b64}`];
  return ['Repr-Digest', `${algorithm === 'sha512' ? 'sha-512' : 'sha-256'}=:${b64}:`];
}

/** A complete small response with Content-Length. */
export function sendSmall(
  res: ServerResponse,
  record: RecordedRequest,
  status: number,
  headers: Record<string, string>,
  body = '',
): void {
  record.status = status;
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function sendErrorPage(res: ServerResponse, record: RecordedRequest, status: number, headers: Record<string, string> = {}): void {
  sendSmall(res, record, status, { 'Content-Type': HTML, ...headers }, errorPage(status));
}

function representationHeaders(file: FileState, validators: Validators): Record<string, string> {
  const { spec } = file;
  const headers: Record<string, string> = { 'Content-Type': spec.contentType ?? 'application/octet-stream' };
  if (spec.acceptRanges !== false) headers['Accept-Ranges'] = 'bytes';
  if (validators.etag !== undefined) headers['ETag'] = validators.etag;
  if (validators.lastModified !== undefined) headers['Last-Modified'] = validators.lastModified;
  const digest = digestHeader(file);
  if (digest !== undefined) headers[digest[0]] = digest[1];
  return Object.assign(headers, spec.headers);
}

/** Answers a GET or HEAD for `file`; resolves when the response is done (or abandoned). */
export async function serveFile(
  res: ServerResponse,
  file: FileState,
  record: RecordedRequest,
  onBytes: (count: number) => void,
): Promise<void> {
  const method = record.method === 'HEAD' ? 'HEAD' : 'GET';
  const { spec } = file;
  for (const [name, value] of Object.entries(spec.requireHeaders ?? {})) {
    if (record.headers[name.toLowerCase()] !== value) return sendErrorPage(res, record, 401);
  }
  if (method === 'HEAD' && spec.head === 'refuse') return sendErrorPage(res, record, 405, { Allow: 'GET' });

  const size = spec.size;
  let range: RangeRequest = spec.acceptRanges === false ? { kind: 'none' } : parseRange(record.range, size);
  const rangeStart = range.kind === 'range' ? range.start : undefined;
  const { fault, changeVersion } = selectFaults(spec.faults ?? [], file.faultHits, { method, rangeStart });
  if (changeVersion) {
    file.version++;
    record.faults.push('change-version');
  }
  if (fault !== undefined) record.faults.push(fault.type);
  if (fault?.type === 'status') {
    const extra: Record<string, string> = { 'Content-Type': HTML, ...fault.headers };
    if (fault.retryAfter !== undefined) extra['Retry-After'] = fault.retryAfter;
    return sendSmall(res, record, fault.status, extra, fault.body ?? errorPage(fault.status));
  }
  if (fault?.type === 'redirect') return sendSmall(res, record, fault.status ?? 302, { Location: fault.location });

  const validators = validatorsOf(file);
  const headers = representationHeaders(file, validators);
  if (notModified(record.headers['if-none-match'], record.headers['if-modified-since'], validators)) {
    record.status = 304;
    res.writeHead(304, headers);
    return void res.end();
  }
  if (range.kind !== 'none' && record.ifRange !== undefined && !ifRangeMatches(record.ifRange, validators)) {
    range = { kind: 'none' };
  }
  if (fault?.type === 'ignore-range') range = { kind: 'none' };
  if (range.kind === 'unsatisfiable') {
    return sendErrorPage(res, record, 416, { ...headers, 'Content-Type': HTML, 'Content-Range': `bytes */${size}` });
  }

  let start = 0;
  let length = size;
  const extra = fault?.type === 'long' && fault.inContentLength === true ? fault.extra : 0;
  if (range.kind === 'range') {
    start = range.start;
    let end = range.end;
    if (fault?.type === 'wrong-content-range') {
      start = Math.max(0, Math.min(size - 1, start + fault.shift));
      end = Math.max(start, Math.min(size - 1, end + fault.shift));
    }
    if (fault?.type === 'unknown-total') end = Math.min(end, start + fault.max - 1);
    length = end - start + 1;
    headers['Content-Range'] = `bytes ${start}-${end}/${fault?.type === 'unknown-total' ? '*' : size}`;
    headers['Content-Length'] = String(length + extra);
  } else if (spec.contentLength !== false) {
    headers['Content-Length'] = String(length + extra);
  }

  record.status = range.kind === 'range' ? 206 : 200;
  if (method === 'HEAD') {
    if (spec.head === 'lie') headers['Content-Length'] = String(spec.headLength ?? size + 1024);
    if (spec.head === 'no-length') delete headers['Content-Length'];
    res.writeHead(record.status, headers);
    return void res.end();
  }
  res.writeHead(record.status, headers);
  await sendBody(res, {
    seed: contentSeedOf(file),
    start,
    length: length + extra,
    throttle: spec.throttle,
    fault: isBodyFault(fault) ? fault : undefined,
    onBytes,
  });
}
