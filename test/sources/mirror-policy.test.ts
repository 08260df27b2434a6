/** The pure parts of mirrors: which mirror a validator belongs to, where the next connection goes, run-wide rank, digest proof. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpStatusError, NetworkError } from '../../src/errors.js';
import { MirrorSlot, rankMirrors } from '../../src/sources/mirrors/mirror-slot.js';
import { agreesWith, digestProof } from '../../src/sources/mirrors/digest-proof.js';
import { MirrorRanking } from '../../src/sources/mirrors/ranking.js';
import { tagValidators, untagValidators } from '../../src/sources/mirrors/validator-tag.js';
import type { ByteSource } from '../../src/sources/source.js';

test('validators name their mirror and come back as the mirror sent them', () => {
  const cases = [
    { etag: '"abc"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
    { etag: '"abc"', lastModified: undefined },
    { etag: undefined, lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
    { etag: undefined, lastModified: undefined },
  ];
  for (const validators of cases) {
    assert.deepEqual(tagValidators(0, validators), validators, 'the first mirror is stored as it is');
    for (const mirror of [1, 7, 31]) {
      const tagged = tagValidators(mirror, validators);
      assert.ok(tagged.etag === undefined || tagged.etag.startsWith('"'), 'still a strong ETag for the control file');
      assert.notDeepEqual(tagged, validators);
      assert.deepEqual(untagValidators(tagged), { mirror, validators });
    }
  }
  assert.deepEqual(untagValidators({ etag: '"plain"', lastModified: undefined }), { mirror: 0, validators: { etag: '"plain"', lastModified: undefined } });
});

const source = (name: string) => ({ displayUrl: name, open: () => Promise.reject(new Error('unused')) }) as ByteSource;
const slots = (...hosts: string[]) => hosts.map((host, i) => new MirrorSlot(i, source(host), host));
/** The mirror a connection takes when every host has room. */
const pickMirror = (all: MirrorSlot[], penalty: (host: string) => number, now: number) => rankMirrors(all, penalty, now)[0];

test('the next connection goes to an unmeasured idle mirror first, then to the best throughput, never a dropped one', () => {
  const none = () => 0;
  const [a, b, c] = slots('a', 'b', 'c');
  assert.equal(pickMirror([a!, b!, c!], none, 1000), a);
  a!.opened(0);
  assert.equal(pickMirror([a!, b!, c!], none, 1000), b, 'a is busy: b gets measured');
  b!.opened(0);
  c!.dropped = new Error('gone');
  a!.bytes = 1000; // 1 byte/ms
  b!.bytes = 5000; // 5 bytes/ms
  assert.equal(pickMirror([a!, b!, c!], none, 1000), b);
  b!.dropped = new Error('gone');
  assert.equal(pickMirror([a!, b!, c!], none, 1000), a);
  a!.dropped = new Error('gone');
  assert.equal(pickMirror([a!, b!, c!], none, 1000), undefined);
});

test('mirrors not measured yet share the connections instead of all going to the first', () => {
  const [a, b] = slots('a', 'b');
  a!.opened(0);
  a!.opened(1);
  b!.opened(2);
  assert.equal(pickMirror([a!, b!], () => 0, 3), b);
});

test('a host the run demoted is used only when no other is left', () => {
  const [a, b] = slots('a', 'b');
  const penalty = (host: string) => (host === 'a' ? 2 : 0);
  assert.equal(pickMirror([a!, b!], penalty, 0), b);
  b!.dropped = 'gone';
  assert.equal(pickMirror([a!, b!], penalty, 0), a);
});

test('the ranking behind the pick: where a connection goes when the better hosts are at their cap', () => {
  const none = () => 0;
  const [a, b, c, d] = slots('a', 'b', 'c', 'd');
  const order = () => rankMirrors([a!, b!, c!, d!], none, 1000).map((slot) => slot.host);
  assert.deepEqual(order(), ['a', 'b', 'c', 'd'], 'nothing measured: the job order');
  a!.opened(0);
  b!.opened(0);
  c!.opened(0);
  a!.bytes = 1000; // 1 byte/ms
  b!.bytes = 5000; // 5 bytes/ms
  assert.deepEqual(order(), ['d', 'c', 'b', 'a'], 'untried first, then asked-but-unmeasured, then by throughput');
  d!.dropped = 'gone';
  c!.bytes = 2000;
  assert.deepEqual(order(), ['b', 'c', 'a'], 'a dropped mirror is not listed');
  assert.deepEqual(rankMirrors([a!, b!, c!], (host) => (host === 'b' ? 2 : 0), 1000).map((slot) => slot.host), ['c', 'a', 'b'], 'a demoted host comes last');
});

test('a mirror is dropped at once for a refusal, after two failures in a row otherwise', () => {
  const [a, b] = slots('a', 'b');
  assert.equal(a!.failed(new HttpStatusError(404, 'HTTP 404'), false), true);
  assert.equal(b!.failed(new NetworkError('reset'), false), false);
  assert.equal(b!.failed(new NetworkError('reset'), false), true);
});

test('the run ranks a host after the others once it failed for two files', () => {
  const ranking = new MirrorRanking();
  assert.deepEqual(ranking.order(['a', 'b', 'c']), [0, 1, 2]);
  ranking.failed('a');
  assert.deepEqual(ranking.order(['a', 'b', 'c']), [0, 1, 2], 'one failure may be the file');
  ranking.failed('a');
  assert.deepEqual(ranking.order(['a', 'b', 'c']), [1, 2, 0]);
});

test('a Repr-Digest proves mirrors serve one file only when each announces the same digest and size', () => {
  const sha256 = (hex: string) => ({ algorithm: 'sha256' as const, hex, source: 'Repr-Digest' });
  const sha512 = (hex: string) => ({ algorithm: 'sha512' as const, hex, source: 'Repr-Digest' });
  const answer = (size: number | undefined, digests: ReturnType<typeof sha256 | typeof sha512>[], encoded = false) => ({ size, digests, encoded });
  assert.equal(digestProof(answer(10, [])), undefined, 'no digest');
  assert.equal(digestProof(answer(undefined, [sha256('aa')])), undefined, 'no size');
  assert.equal(digestProof(answer(10, [sha256('aa')], true)), undefined, 'a content-coded body');
  const proof = digestProof(answer(10, [sha256('aa'), sha512('bb')]))!;
  const cases: Array<[string, ReturnType<typeof answer>, boolean]> = [
    ['the same sha256', answer(10, [sha256('aa')]), true],
    ['the same sha512', answer(10, [sha512('bb')]), true],
    ['both the same', answer(10, [sha256('aa'), sha512('bb')]), true],
    ['another digest', answer(10, [sha256('cc')]), false],
    ['one agrees, one contradicts', answer(10, [sha256('aa'), sha512('cc')]), false],
    ['no digest', answer(10, []), false],
    ['another size', answer(11, [sha256('aa')]), false],
    ['no size', answer(undefined, [sha256('aa')]), false],
    ['content-coded', answer(10, [sha256('aa')], true), false],
  ];
  for (const [name, other, agrees] of cases) assert.equal(agreesWith(proof, other), agrees, name);
  assert.equal(agreesWith(digestProof(answer(10, [sha256('aa')]))!, answer(10, [sha512('bb')])), false, 'no algorithm in common');
});
