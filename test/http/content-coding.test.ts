import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContentEncoding } from '../../src/http/content-coding.js';

test('parseContentEncoding: codings in the order applied, identity dropped, unknown ones named', () => {
  const cases: Array<[string | string[] | undefined, ReturnType<typeof parseContentEncoding>]> = [
    [undefined, { ok: true, codings: [], header: '' }],
    ['identity', { ok: true, codings: [], header: 'identity' }],
    ['', { ok: true, codings: [], header: '' }],
    ['gzip', { ok: true, codings: ['gzip'], header: 'gzip' }],
    ['X-GZIP', { ok: true, codings: ['gzip'], header: 'X-GZIP' }],
    ['deflate, br', { ok: true, codings: ['deflate', 'br'], header: 'deflate, br' }],
    [['gzip', 'br'], { ok: true, codings: ['gzip', 'br'], header: 'gzip, br' }],
    ['compress', { ok: false, unknown: 'compress', header: 'compress' }],
    ['gzip, zstd', { ok: false, unknown: 'zstd', header: 'gzip, zstd' }],
  ];
  for (const [value, expected] of cases) assert.deepEqual(parseContentEncoding(value), expected, JSON.stringify(value));
});
