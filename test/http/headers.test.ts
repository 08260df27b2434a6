import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  formatRange,
  isSameOrigin,
  parseContentLength,
  parseContentRange,
  parseDigestHeaders,
  parseEtag,
  type ContentRange,
  type HeaderValue,
  type ServerDigest,
} from '../../src/http/headers.js';

test('parseContentLength: decimal digits only, absent ≠ invalid', () => {
  const good: Array<[HeaderValue, number | undefined]> = [
    [undefined, undefined],
    [[], undefined],
    ['0', 0],
    ['12', 12],
    ['007', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    [['5', '5'], 5],
    ['5, 5', 5],
    ['5,5', 5],
    [['05', '5'], 5],
  ];
  for (const [value, expected] of good) {
    assert.deepEqual(parseContentLength(value), { ok: true, value: expected }, JSON.stringify(value));
  }
  const bad: HeaderValue[] = [
    '', '-1', '+1', '1e3', '0x10', ' 12', '12 ', '1 2', '1.0', '1_000', 'abc', '١٢', // Arabic-Indic digits
    '9007199254740992', '9007199254740993', '99999999999999999999999', 'Infinity', 'NaN',
    ['5', '6'], '5, 6', '5,', ',5', [''],
  ];
  for (const value of bad) {
    const result = parseContentLength(value);
    assert.equal(result.ok, false, JSON.stringify(value));
    if (!result.ok) assert.match(result.reason, /Content-Length/);
  }
});

test('parseContentRange', () => {
  const cases: Array<[HeaderValue, ContentRange | undefined]> = [
    ['bytes 0-99/100', { kind: 'range', start: 0, end: 100, size: 100 }],
    ['bytes 5-5/10', { kind: 'range', start: 5, end: 6, size: 10 }],
    ['bytes 10-19/*', { kind: 'range', start: 10, end: 20, size: undefined }],
    ['Bytes 0-0/1', { kind: 'range', start: 0, end: 1, size: 1 }],
    [['bytes 0-9/10', 'bytes 0-9/10'], { kind: 'range', start: 0, end: 10, size: 10 }],
    ['bytes 0-9007199254740990/9007199254740991', { kind: 'range', start: 0, end: 9007199254740991, size: 9007199254740991 }],
    ['bytes */100', { kind: 'unsatisfied', unsatisfiedSize: 100 }],
    ['bytes */0', { kind: 'unsatisfied', unsatisfiedSize: 0 }],
    // bad
    [undefined, undefined],
    ['', undefined],
    ['bytes 5-3/10', undefined],
    ['bytes 0-10/10', undefined], // last byte outside the size
    ['bytes 0-0/0', undefined],
    ['bytes 0-9007199254740991/*', undefined], // end exclusive would be unsafe
    ['bytes 0-9/9007199254740993', undefined],
    ['bytes -1-9/10', undefined],
    ['bytes 0x0-9/10', undefined],
    ['bytes 1e1-20/30', undefined],
    ['bytes 0-9/10 ', undefined],
    [' bytes 0-9/10', undefined],
    ['bytes  0-9/10', undefined],
    ['bytes 0 - 9/10', undefined],
    ['bytes=0-9/10', undefined],
    ['items 0-9/10', undefined],
    ['bytes 0-9', undefined],
    ['bytes 0-/10', undefined],
    ['bytes */*', undefined],
    ['bytes */-1', undefined],
    ['bytes 0-9/10, bytes 10-19/20', undefined],
    [['bytes 0-9/10', 'bytes 0-9/20'], undefined],
  ];
  for (const [value, expected] of cases) assert.deepEqual(parseContentRange(value), expected, JSON.stringify(value));
});

test('parseEtag: quoted entity-tags only', () => {
  const cases: Array<[HeaderValue, { value: string; weak: boolean } | undefined]> = [
    ['"abc"', { value: '"abc"', weak: false }],
    ['W/"abc"', { value: '"abc"', weak: true }],
    ['""', { value: '""', weak: false }],
    ['"5f3-1a2b/c:d"', { value: '"5f3-1a2b/c:d"', weak: false }],
    [['"x"', '"x"'], { value: '"x"', weak: false }],
    [undefined, undefined],
    ['', undefined],
    ['abc', undefined], // unquoted
    ['"abc', undefined],
    ['w/"abc"', undefined], // the weak prefix is case-sensitive
    ['W/abc', undefined],
    ['"a"b"', undefined],
    ['"a b"', undefined],
    [' "abc"', undefined],
    ['"abc", "def"', undefined],
    [['"x"', '"y"'], undefined],
  ];
  for (const [value, expected] of cases) assert.deepEqual(parseEtag(value), expected, JSON.stringify(value));
});

const body = Buffer.from('hello pdl');
const sha256 = createHash('sha256').update(body).digest();
const sha512 = createHash('sha512').update(body).digest();
const b64 = (buf: Buffer): string => buf.toString('base64');
const hex256 = sha256.toString('hex');
const hex512 = sha512.toString('hex');

test('parseDigestHeaders: Repr-Digest (RFC 9530) and legacy Digest (RFC 3230)', () => {
  const repr = (hex: string, algorithm: 'sha256' | 'sha512' = 'sha256'): ServerDigest => ({ algorithm, hex, source: 'Repr-Digest' });
  const legacy = (hex: string, algorithm: 'sha256' | 'sha512' = 'sha256'): ServerDigest => ({ algorithm, hex, source: 'Digest' });
  const cases: Array<[string, Record<string, HeaderValue>, ServerDigest[]]> = [
    ['none', {}, []],
    ['repr sha-256', { 'repr-digest': `sha-256=:${b64(sha256)}:` }, [repr(hex256)]],
    ['header name case-insensitive', { 'Repr-Digest': `sha-256=:${b64(sha256)}:` }, [repr(hex256)]],
    [
      'repr both, spaces, params, unknown algorithm',
      { 'repr-digest': `  md5=:AAAAAAAAAAAAAAAAAAAAAA==:, sha-256=:${b64(sha256)}:;q=1 ,\tsha-512=:${b64(sha512)}:;a="x,y";b  ` },
      [repr(hex256), repr(hex512, 'sha512')],
    ],
    ['repr repeated field lines', { 'repr-digest': [`sha-256=:${b64(sha256)}:`, `sha-512=:${b64(sha512)}:`] }, [repr(hex256), repr(hex512, 'sha512')]],
    ['repr later duplicate wins', { 'repr-digest': `sha-256=:${b64(sha512)}:, sha-256=:${b64(sha256)}:` }, [repr(hex256)]],
    ['repr wrong length ignored', { 'repr-digest': `sha-256=:${b64(sha512)}:, sha-512=:${b64(sha512)}:` }, [repr(hex512, 'sha512')]],
    ['repr non-byte-sequence value skipped', { 'repr-digest': `sha-256="${b64(sha256)}", sha-512=:${b64(sha512)}:` }, [repr(hex512, 'sha512')]],
    ['repr other items skipped', { 'repr-digest': `x=(a "b,c"), y=?1, z=-1.5, w, sha-256=:${b64(sha256)}:` }, [repr(hex256)]],
    ['repr upper-case key: not a dictionary, ignored whole', { 'repr-digest': `SHA-256=:${b64(sha256)}:` }, []],
    ['repr trailing comma: ignored whole', { 'repr-digest': `sha-256=:${b64(sha256)}:,` }, []],
    ['repr spaces around = : ignored whole', { 'repr-digest': `sha-256 = :${b64(sha256)}:` }, []],
    ['repr unterminated byte sequence', { 'repr-digest': `sha-256=:${b64(sha256)}` }, []],
    ['repr bad base64', { 'repr-digest': `sha-256=:${b64(sha256).replace(/^./, '!')}:` }, []],
    ['repr hex is not base64 of 32 bytes', { 'repr-digest': `sha-256=:${hex256}:` }, []],
    ['legacy', { digest: `SHA-256=${b64(sha256)}` }, [legacy(hex256)]],
    ['legacy list, mixed case, unknown', { Digest: `MD5=HUXZLQLMuI/KZ5KDcJPcOA==, sha-512=${b64(sha512)},Sha-256=${b64(sha256)}` }, [legacy(hex512, 'sha512'), legacy(hex256)]],
    ['legacy without padding', { digest: `sha-256=${b64(sha256).replace(/=+$/, '')}` }, [legacy(hex256)]],
    ['legacy garbage', { digest: 'sha-256, =abc, sha-256=***' }, []],
    [
      'both headers: Repr-Digest first',
      { digest: `sha-256=${b64(sha256)}`, 'repr-digest': `sha-512=:${b64(sha512)}:` },
      [repr(hex512, 'sha512'), legacy(hex256)],
    ],
    ['Content-Digest ignored', { 'content-digest': `sha-256=:${b64(sha256)}:` }, []],
    ['undefined value', { digest: undefined }, []],
  ];
  for (const [name, headers, expected] of cases) assert.deepEqual(parseDigestHeaders(headers), expected, name);
});

test('formatRange', () => {
  const cases: Array<[number, number | undefined, string]> = [
    [0, undefined, 'bytes=0-'],
    [500, undefined, 'bytes=500-'],
    [0, 1, 'bytes=0-0'],
    [0, 100, 'bytes=0-99'],
    [100, 200, 'bytes=100-199'],
  ];
  for (const [start, end, expected] of cases) assert.equal(formatRange(start, end), expected);
  const bad: Array<[number, number | undefined]> = [[-1, undefined], [1.5, undefined], [5, 5], [5, 4], [0, Infinity], [Number.NaN, 3]];
  for (const [start, end] of bad) assert.throws(() => formatRange(start, end), RangeError, JSON.stringify([start, end]));
});

test('isSameOrigin', () => {
  const cases: Array<[string, string, boolean]> = [
    ['https://example.com/a', 'https://example.com/b?x', true],
    ['https://example.com/', 'https://EXAMPLE.com:443/', true],
    ['http://example.com/', 'http://example.com:80/', true],
    ['https://user:pw@example.com/', 'https://example.com/', true],
    ['https://example.com/', 'http://example.com/', false],
    ['https://example.com/', 'https://example.com:8443/', false],
    ['https://example.com/', 'https://cdn.example.com/', false],
    ['http://127.0.0.1:8080/', 'http://localhost:8080/', false],
    ['data:text/plain,a', 'data:text/plain,a', false],
    ['file:///tmp/a', 'file:///tmp/a', false],
  ];
  for (const [a, b, expected] of cases) assert.equal(isSameOrigin(new URL(a), new URL(b)), expected, `${a} vs ${b}`);
});
