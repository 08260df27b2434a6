import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { contentBytes, contentDigest, contentSha256, fillContent } from './content.js';

const sha1 = (data: Uint8Array): string => createHash('sha1').update(data).digest('hex');

test('any window equals the same slice of a larger window (aligned or not, in file and in memory)', () => {
  const whole = contentBytes('seed', 1000, 70_000);
  const cases: Array<[offset: number, length: number]> = [
    [1000, 70_000], [1001, 1], [1002, 3], [1003, 5], [1004, 4], [1005, 65_541], [1007, 68_000], [1999, 0], [70_999, 1],
  ];
  for (const [offset, length] of cases) {
    const expected = whole.subarray(offset - 1000, offset - 1000 + length);
    assert.deepEqual(contentBytes('seed', offset, length), expected, `offset ${offset} length ${length}`);
    // A target that starts at an odd address takes the scratch-copy path.
    const backing = new Uint8Array(length + 3);
    const odd = backing.subarray(3);
    fillContent('seed', offset, odd);
    assert.deepEqual(Buffer.from(odd), expected, `odd target, offset ${offset} length ${length}`);
  }
});

test('content is deterministic, seed-dependent, and numbers seed like their strings', () => {
  assert.deepEqual(contentBytes('a', 123, 999), contentBytes('a', 123, 999));
  assert.notDeepEqual(contentBytes('a', 0, 64), contentBytes('b', 0, 64));
  assert.deepEqual(contentBytes(42, 8, 64), contentBytes('42', 8, 64));
});

test('no two 4 KiB blocks at different offsets are equal, within a file or across seeds and versions', () => {
  const seen = new Map<string, string>();
  const seeds = ['/file.bin', '/file.bin@v2', '/file.bin@v3', '/other.bin'];
  const offsets = new Set<number>();
  for (let i = 0; i < 400; i++) for (const o of [i * 4096, i * 4096 + 1 + (i % 3), i * 1_048_576 + 4]) offsets.add(o);
  for (let i = 0; i < 64; i++) offsets.add(2 ** 33 * (i % 4) + i * 4096); // up to ~24 GiB in
  for (const seed of seeds) {
    for (const offset of offsets) {
      const key = `${seed}@${offset}`;
      const digest = sha1(contentBytes(seed, offset, 4096));
      const previous = seen.get(digest);
      assert.equal(previous, undefined, `${key} repeats ${previous}`);
      seen.set(digest, key);
    }
  }
  // Aligned words within one block are pairwise distinct too: there is no short period.
  const words = new Uint32Array(contentBytes('/file.bin', 0, 1 << 20).buffer);
  assert.equal(new Set(words).size, words.length);
});

test('windows that straddle the 16 GiB key-block boundary match their halves', () => {
  const boundary = 2 ** 34;
  const whole = contentBytes('big', boundary - 10, 20);
  assert.deepEqual(Buffer.concat([contentBytes('big', boundary - 10, 10), contentBytes('big', boundary, 10)]), whole);
  assert.notDeepEqual(contentBytes('big', boundary, 16), contentBytes('big', 0, 16));
});

test('contentSha256 is the digest of the streamed bytes, for any algorithm, and memoised', () => {
  for (const size of [0, 1, 5, 1_048_576, 1_048_576 * 2 + 7]) {
    const bytes = contentBytes('/x', 0, size);
    assert.equal(contentSha256('/x', size), createHash('sha256').update(bytes).digest('hex'), `size ${size}`);
    assert.equal(contentSha256('/x', size, 'sha512'), createHash('sha512').update(bytes).digest('hex'));
  }
  assert.equal(contentDigest('/x', 5), contentDigest('/x', 5));
});

test('fillContent rejects offsets that cannot address a byte', () => {
  assert.throws(() => fillContent('s', -1, Buffer.alloc(4)), RangeError);
  assert.throws(() => fillContent('s', 0.5, Buffer.alloc(4)), RangeError);
});
