/**
 * Strict parsers for the response headers pdl trusts with byte offsets and integrity.
 * A lenient parser here turns a misbehaving server into a corrupt file, so: decimal digits only, safe
 * integers only, never NaN; bad input gives undefined (or `{ ok: false }` where "absent" must differ from "bad").
 * Values are taken as the HTTP parser hands them over (outer whitespace already stripped), so stray spaces are bad.
 */

export type HeaderValue = string | string[] | undefined;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const DIGITS = /^[0-9]+$/;

/** A safe integer from decimal digits, or undefined. */
function decimal(text: string): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A header that must appear once; repeated identical lines are tolerated. */
function single(value: HeaderValue): string | undefined {
  if (typeof value === 'string') return value;
  if (value === undefined || value.length === 0) return undefined;
  return value.every((v) => v === value[0]) ? value[0] : undefined;
}

/**
 * Content-Length. Absent → `{ ok: true, value: undefined }` (length unknown, e.g. chunked); present but bad →
 * `{ ok: false }`, which callers must treat as a protocol error, not as "unknown". Repeated lines or a
 * comma list of the same number are accepted (RFC 9110 §8.6); differing numbers are not.
 */
export function parseContentLength(value: HeaderValue): ParseResult<number | undefined> {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return { ok: true, value: undefined };
  const items = (Array.isArray(value) ? value : [value]).flatMap((line) => line.split(/[ \t]*,[ \t]*/));
  let result: number | undefined;
  for (const item of items) {
    const n = decimal(item);
    if (n === undefined) return { ok: false, reason: `invalid Content-Length ${JSON.stringify(item)}` };
    if (result !== undefined && n !== result) return { ok: false, reason: `conflicting Content-Length values ${result} and ${n}` };
    result = n;
  }
  return { ok: true, value: result };
}

/**
 * Either `bytes a-b/size` / `bytes a-b/*` (`end` exclusive, b + 1), or `bytes *\/size`, sent with 416: the
 * range asked for is outside the representation. Narrow on `kind`, or on `start`/`unsatisfiedSize` being set.
 */
export type ContentRange =
  | { kind: 'range'; start: number; end: number; size: number | undefined; unsatisfiedSize?: undefined }
  | { kind: 'unsatisfied'; unsatisfiedSize: number; start?: undefined; end?: undefined; size?: undefined };

const CONTENT_RANGE = /^bytes ([0-9]+)-([0-9]+)\/([0-9]+|\*)$/i;
const UNSATISFIED_RANGE = /^bytes \*\/([0-9]+)$/i;

export function parseContentRange(value: HeaderValue): ContentRange | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  const unsatisfied = UNSATISFIED_RANGE.exec(text);
  if (unsatisfied) {
    const size = decimal(unsatisfied[1] ?? '');
    return size === undefined ? undefined : { kind: 'unsatisfied', unsatisfiedSize: size };
  }
  const match = CONTENT_RANGE.exec(text);
  if (!match) return undefined;
  const first = decimal(match[1] ?? '');
  const last = decimal(match[2] ?? '');
  const size = match[3] === '*' ? undefined : decimal(match[3] ?? '');
  if (first === undefined || last === undefined || first > last || !Number.isSafeInteger(last + 1)) return undefined;
  if (match[3] !== '*' && (size === undefined || last >= size)) return undefined;
  return { kind: 'range', start: first, end: last + 1, size };
}

export interface EntityTag {
  /** The opaque tag with its quotes, as sent back in If-Range / If-Match: `"abc"`. */
  value: string;
  weak: boolean;
}

// RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text.
const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

export function parseEtag(value: HeaderValue): EntityTag | undefined {
  const text = single(value);
  const match = text === undefined ? null : ENTITY_TAG.exec(text);
  if (!match || match[2] === undefined) return undefined;
  return { value: match[2], weak: match[1] !== undefined };
}

export interface ServerDigest {
  algorithm: 'sha256' | 'sha512';
  /** Lower-case hex. */
  hex: string;
  source: 'Repr-Digest' | 'Digest';
}

const DIGEST_BYTES = { sha256: 32, sha512: 64 } as const;
const ALGORITHMS = new Map<string, 'sha256' | 'sha512'>([
  ['sha-256', 'sha256'],
  ['sha-512', 'sha512'],
]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Digests of the whole representation announced by the server: RFC 9530 Repr-Digest first, then legacy
 * RFC 3230 Digest. Unknown algorithms and values of the wrong length are skipped; a Repr-Digest that is not a
 * valid structured-field dictionary is ignored whole (RFC 8941). Content-Digest covers the content-coded bytes,
 * not the file, so it is not read.
 */
export function parseDigestHeaders(headers: Record<string, HeaderValue>): ServerDigest[] {
  const out: ServerDigest[] = [];
  const repr = joined(headers, 'repr-digest');
  if (repr !== undefined) {
    for (const [key, base64] of parseByteSequenceDictionary(repr) ?? []) add(out, ALGORITHMS.get(key), base64, 'Repr-Digest');
  }
  const legacy = joined(headers, 'digest');
  if (legacy !== undefined) {
    for (const item of legacy.split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0) add(out, ALGORITHMS.get(item.slice(0, eq).trim().toLowerCase()), item.slice(eq + 1).trim(), 'Digest');
    }
  }
  return out;
}

/** A header looked up case-insensitively, repeated lines joined with ", " as for any list header. */
function joined(headers: Record<string, HeaderValue>, name: string): string | undefined {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    lines.push(...(Array.isArray(value) ? value : [value]));
  }
  return lines.length > 0 ? lines.join(', ') : undefined;
}

function add(out: ServerDigest[], algorithm: 'sha256' | 'sha512' | undefined, base64: string, source: ServerDigest['source']): void {
  if (algorithm === undefined || !BASE64.test(base64) || base64.length % 4 === 1) return;
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === DIGEST_BYTES[algorithm]) out.push({ algorithm, hex: bytes.toString('hex'), source });
}

// Structured-field pieces (RFC 8941), sticky so they match exactly at the cursor.
const SF_SP = / */y;
const SF_OWS = /[ \t]*/y;
const SF_KEY = /[a-z*][a-z0-9_\-.*]*/y;
const SF_BYTES = /:[A-Za-z0-9+/=]*:/y;
// Any other bare item or inner list: strings, tokens, numbers, booleans, `(...)`. Only their extent matters here.
const SF_OTHER = /"(?:[^"\\]|\\.)*"|\?[01]|[-0-9.]+|[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*|\((?:[^()"]|"(?:[^"\\]|\\.)*")*\)/y;

/**
 * The members of a structured-field dictionary whose values are byte sequences (`key=:base64:`), later
 * duplicates winning; other members and all parameters are skipped. undefined if the field does not parse.
 */
function parseByteSequenceDictionary(input: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = 0;
  const eat = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(input);
    if (m === null) return undefined;
    i = re.lastIndex;
    return m[0];
  };
  const eatValue = (): boolean => eat(SF_BYTES) !== undefined || eat(SF_OTHER) !== undefined;
  eat(SF_SP);
  while (i < input.length) {
    const key = eat(SF_KEY);
    if (key === undefined) return undefined;
    let base64: string | undefined;
    if (input[i] === '=') {
      i++;
      const bytes = eat(SF_BYTES);
      if (bytes !== undefined) base64 = bytes.slice(1, -1);
      else if (eat(SF_OTHER) === undefined) return undefined;
    }
    while (input[i] === ';') {
      i++;
      eat(SF_SP);
      if (eat(SF_KEY) === undefined) return undefined;
      if (input[i] === '=') {
        i++;
        if (!eatValue()) return undefined;
      }
    }
    if (base64 !== undefined) out.set(key, base64);
    else out.delete(key);
    eat(SF_OWS);
    if (i === input.length) break;
    if (input[i] !== ',') return undefined;
    i++;
    eat(SF_OWS);
    if (i === input.length) return undefined; // trailing comma
  }
  return out;
}

/** A Range request header value for `[start, endExclusive)`, or from `start` to the end. */
export function formatRange(start: number, endExclusive: number | undefined): string {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`Expected a non-negative safe integer start, got ${start}`);
  if (endExclusive === undefined) return `bytes=${start}-`;
  if (!Number.isSafeInteger(endExclusive) || endExclusive <= start) {
    throw new RangeError(`Expected an end greater than ${start}, got ${endExclusive}`);
  }
  return `bytes=${start}-${endExclusive - 1}`;
}

/** Scheme, host and port equal. Opaque origins (data:, blob: of opaque, file:) are never the same origin. */
export function isSameOrigin(a: URL, b: URL): boolean {
  return a.origin !== 'null' && a.origin === b.origin;
}
