/**
 * The plain-HTTP rules the fixture server follows when nothing is going wrong: Range parsing, If-Range,
 * If-None-Match and If-Modified-Since, as in RFC 9110 §13–14. Pure functions, so the server stays about routing.
 */

export type RangeRequest =
  /** No Range header, or one the server ignores (unknown unit, bad syntax, several ranges): send 200. */
  | { kind: 'none' }
  | { kind: 'unsatisfiable' }
  /** Inclusive byte positions, already clamped to the representation. */
  | { kind: 'range'; start: number; end: number };

/**
 * Parses `Range: bytes=a-b | a- | -n`. Several ranges are answered with a 200 and the full body (allowed by
 * RFC 9110 §14.2), so the fixture never sends multipart/byteranges.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const unit = /^\s*bytes\s*=(.*)$/i.exec(header);
  const set = unit?.[1];
  if (set === undefined) return { kind: 'none' };
  const specs = set.split(',').map((s) => s.trim());
  const only = specs[0];
  if (specs.length !== 1 || only === undefined) return { kind: 'none' };
  const match = /^(\d*)-(\d*)$/.exec(only);
  const first = match?.[1];
  const last = match?.[2];
  if (first === undefined || last === undefined || (first === '' && last === '')) return { kind: 'none' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'range', start, end };
}

/** The validators of the current representation. */
export interface Validators {
  etag: string | undefined;
  lastModified: string | undefined;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** If-Range: a strong ETag compared strongly, or a date equal to Last-Modified. Weak tags never match. */
export function ifRangeMatches(value: string, validators: Validators): boolean {
  const tag = value.trim();
  if (tag.startsWith('W/')) return false;
  if (tag.startsWith('"')) {
    const etag = validators.etag;
    return etag !== undefined && !etag.startsWith('W/') && etag === tag;
  }
  if (validators.lastModified === undefined) return false;
  const date = Date.parse(tag);
  return !Number.isNaN(date) && date === Date.parse(validators.lastModified);
}

/** True when a GET/HEAD should be answered 304 (If-None-Match wins over If-Modified-Since). */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  validators: Validators,
): boolean {
  if (ifNoneMatch !== undefined) {
    const etag = validators.etag;
    if (etag === undefined) return false;
    return ifNoneMatch
      .split(',')
      .map((t) => t.trim())
      .some((t) => t === '*' || opaque(t) === opaque(etag));
  }
  if (ifModifiedSince === undefined || validators.lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Date.parse(validators.lastModified) <= since;
}
