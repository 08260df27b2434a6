/** The pure parts of mirrors: which mirror a validator belongs to, which mirror the next connection uses, run-wide rank. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpStatusError, NetworkError } from '../../src/errors.js';
import { MirrorSlot, pickMirror } from '../../src/sources/mirrors/mirror-slot.js';
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
