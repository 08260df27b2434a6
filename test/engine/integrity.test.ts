/** Digests and validators: user checksums, server Repr-Digest/Digest, and which validator If-Range carries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { ChecksumAlgorithm } from '../../src/job/resolved.js';
import { type DigestMode } from '../helpers/fixture-server.js';
import { makeJob } from '../helpers/job.js';
import { KiB,fixture,run,assertDownloaded } from '../helpers/engine.js';





for (const algorithm of ['sha256', 'sha512', 'sha1', 'md5'] as const satisfies readonly ChecksumAlgorithm[]) {
  test(`a correct ${algorithm} checksum: done, and file:verified names it`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/sum.bin', { size: 700 * KiB + 5, throttle: 2048 * KiB });
    const hex = createHash(algorithm).update(server.file('/sum.bin').bytes()).digest('hex');
    const { summary, of } = await run(makeJob(dir, [{ url: server.url('/sum.bin'), checksum: { algorithm, hex }, minSplitSize: 64 * KiB }]));
    assert.equal(summary.done, 1, JSON.stringify(summary.files));
    await assertDownloaded(dir, 'sum.bin', server.file('/sum.bin').sha256);
    assert.deepEqual(
      of('file:verified').map((e) => [e.algorithm, e.hex]),
      [[algorithm, hex]],
    );
    // The summary's sha256 is only known when sha256 was computed anyway.
    if (algorithm === 'sha256') assert.equal(summary.files[0]?.sha256, server.file('/sum.bin').sha256);
  });
}

test('a wrong checksum: exactly two full downloads, then E_CHECKSUM naming both digests, nothing left', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/bad.bin', { size: 300 * KiB });
  const wrong = 'ab'.repeat(32);
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/bad.bin'), checksum: { algorithm: 'sha256', hex: wrong }, connections: 1 }]));
  assert.equal(summary.failed, 1);
  const error = summary.files[0]?.error;
  assert.equal(error?.code, 'E_CHECKSUM');
  assert.equal(error?.kind, 'integrity');
  assert.ok(error?.message.includes(`expected sha256:${wrong}`), error?.message);
  assert.ok(error?.message.includes(`got sha256:${server.file('/bad.bin').sha256}`), error?.message);
  assert.deepEqual(
    server.requests.map((r) => [r.range, r.status]),
    [
      ['bytes=0-', 206],
      ['bytes=0-', 206],
    ],
  );
  assert.equal(server.stats.bytesServed, 2 * 300 * KiB);
  assert.deepEqual(of('file:verified'), []);
  assert.equal(of('file:retry').length, 1);
  assert.deepEqual(await readdir(dir), []);
});

test('a wrong checksum on a split download also downloads twice and fails', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/bad.bin', { size: 1024 * KiB, throttle: 2048 * KiB });
  const { summary } = await run(
    makeJob(dir, [{ url: server.url('/bad.bin'), checksum: { algorithm: 'md5', hex: '0'.repeat(32) }, connections: 4, minSplitSize: 64 * KiB }]),
  );
  assert.equal(summary.files[0]?.error?.code, 'E_CHECKSUM');
  assert.equal(server.requests.filter((r) => r.range === 'bytes=0-').length, 2);
  assert.ok(server.requests.length > 2, 'expected ranges');
  assert.deepEqual(await readdir(dir), []);
});

for (const digest of ['repr-digest-sha256', 'repr-digest-sha512', 'digest-sha256'] as const satisfies readonly DigestMode[]) {
  test(`a correct server digest (${digest}) is checked and accepted`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/digest.bin', { size: 500 * KiB, digest, throttle: 2048 * KiB });
    const { summary } = await run(makeJob(dir, [{ url: server.url('/digest.bin'), minSplitSize: 64 * KiB }]));
    assert.equal(summary.done, 1, JSON.stringify(summary.files));
    await assertDownloaded(dir, 'digest.bin', server.file('/digest.bin').sha256);
  });
}

test('a wrong Repr-Digest fails like a checksum mismatch: two downloads, E_CHECKSUM, nothing left', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/liar.bin', { size: 200 * KiB, digest: 'wrong-repr-digest' });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/liar.bin'), connections: 1 }]));
  assert.equal(summary.failed, 1);
  const error = summary.files[0]?.error;
  assert.equal(error?.code, 'E_CHECKSUM');
  assert.match(error?.message ?? '', /Repr-Digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:/);
  assert.ok(error?.message.includes(server.file('/liar.bin').sha256));
  assert.equal(server.requests.length, 2);
  assert.deepEqual(await readdir(dir), []);
});

test('weak ETags are never validators: with Last-Modified, If-Range carries the date', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/weak.bin', { size: 1024 * KiB, throttle: 2048 * KiB, weakEtag: true });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/weak.bin'), connections: 4, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'weak.bin', server.file('/weak.bin').sha256);
  const { lastModified, etag } = server.file('/weak.bin');
  assert.ok(etag?.startsWith('W/'));
  const ranged = server.requests.slice(1);
  assert.ok(ranged.length > 0);
  for (const r of ranged) assert.equal(r.ifRange, lastModified, r.range);
});

test('with only a weak ETag and no Last-Modified, range requests carry no If-Range at all', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/weak.bin', { size: 1024 * KiB, throttle: 2048 * KiB, weakEtag: true, lastModified: false });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/weak.bin'), connections: 4, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'weak.bin', server.file('/weak.bin').sha256);
  assert.ok(server.requests.length > 1);
  for (const r of server.requests) assert.equal(r.ifRange, undefined, r.range);
});
