/**
 * A file's mirrors through the engine's scheduler and per-host caps (each connection counts against its mirror's
 * host), and Repr-Digest agreement as the proof that lets mirrors without a checksum serve one file together.
 * Counted at the servers: requests served at once per server and across both (mirrorServers' group), bytes each sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FixtureServer } from '../helpers/fixture-server.js';
import { mirrorServers } from '../helpers/mirror-servers.js';
import { makeJob, tempDir, type FileInput } from '../helpers/job.js';
import { assertDownloaded, KiB, MiB, run } from '../helpers/engine.js';

function mirrored(urls: string[], file: Partial<FileInput> = {}): FileInput {
  return { url: urls[0]!, mirrors: urls.slice(1).map((url) => ({ url, displayUrl: url })), relPath: 'data.bin', ...file };
}

const checksumOf = (server: FixtureServer, path: string) => ({ algorithm: 'sha256' as const, hex: server.file(path).sha256 });

test('perHost applies to each mirror\'s host: two mirrors at perHost 2 serve one file over 4 connections, never more than 2 each', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  for (const s of [a!, b!]) s.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 1 * MiB });
  const dir = await tempDir(t);
  const file = mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4, checksum: checksumOf(a!, '/data.bin') });
  const { summary } = await run(makeJob(dir, [file], { perHost: 2 }));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', a!.file('/data.bin').sha256);
  assert.ok(a!.stats.maxConcurrentServed <= 2 && b!.stats.maxConcurrentServed <= 2, `${a!.stats.maxConcurrentServed} / ${b!.stats.maxConcurrentServed}`);
  assert.ok(a!.stats.bytesServed > 0 && b!.stats.bytesServed > 0, `${a!.stats.bytesServed} / ${b!.stats.bytesServed}`);
  // More at once than one host may have: the cap did not hold the whole file.
  assert.equal(a!.group!.peak, 4);
});

test('a mirror dropped mid-file: its connections move to the other host (within its cap) and the file completes', async (t) => {
  const [flaky, good] = await mirrorServers(t, 2);
  flaky!.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 2 * MiB, faults: [{ type: 'reset', afterBytes: 256 * KiB }] });
  good!.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 2 * MiB });
  const dir = await tempDir(t);
  const file = mirrored([flaky!.url('/data.bin'), good!.url('/data.bin')], { connections: 4, retries: 5, checksum: checksumOf(good!, '/data.bin') });
  const { summary } = await run(makeJob(dir, [file], { perHost: 2 }));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', good!.file('/data.bin').sha256);
  const served = summary.files[0]!.served!;
  assert.ok(served[0]!.dropped, JSON.stringify(served));
  assert.ok(flaky!.stats.bytesServed > 0, 'the first mirror served a part before it was dropped');
  assert.ok(good!.stats.maxConcurrentServed <= 2, String(good!.stats.maxConcurrentServed));
  // Once dropped, its host gets no more requests: two failures, plus at most the connections open at that moment.
  assert.ok(flaky!.stats.requests <= 2 + 2, String(flaky!.stats.requests));
});

test('without a checksum, mirrors announcing the same Repr-Digest serve ranges of one file together', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  for (const s of [a!, b!]) s.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 2 * MiB, digest: 'repr-digest-sha256' });
  const dir = await tempDir(t);
  const { summary } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4 })]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', a!.file('/data.bin').sha256);
  const served = summary.files[0]!.served!;
  assert.ok(served[0]!.bytes > 0 && served[1]!.bytes > 0, JSON.stringify(served));
  assert.ok(a!.stats.bytesServed > 0 && b!.stats.bytesServed > 0, `${a!.stats.bytesServed} / ${b!.stats.bytesServed}`);
});

for (const [what, digest] of [
  ['announces another Repr-Digest', 'wrong-repr-digest'],
  ['announces no digest', undefined],
] as const) {
  test(`without a checksum, a mirror that ${what} is not combined: it is dropped before any byte is taken`, async (t) => {
    const [a, b] = await mirrorServers(t, 2);
    a!.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 2 * MiB, digest: 'repr-digest-sha256' });
    b!.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 2 * MiB, ...(digest ? { digest } : {}) });
    const dir = await tempDir(t);
    const { summary, of } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4 })]));
    assert.equal(summary.done, 1, JSON.stringify(summary.files));
    await assertDownloaded(dir, 'data.bin', a!.file('/data.bin').sha256);
    const served = summary.files[0]!.served!;
    assert.equal(served[1]!.bytes, 0, JSON.stringify(served));
    assert.ok(b!.stats.requests >= 1, 'the second mirror was asked');
    assert.match(served[1]!.dropped ?? '', /does not announce the same Repr-Digest as http:\/\/127\.0\.0\.1/);
    assert.ok(of('run:note').some((n) => n.message.includes(b!.url('/data.bin')) && /Repr-Digest/.test(n.message)), JSON.stringify(of('run:note')));
  });
}

test('without a checksum, a mirror announcing the agreed Repr-Digest but serving other bytes is found and named', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  a!.addFile('/data.bin', { size: 1 * MiB, seed: 'data', throttle: 2 * MiB, digest: 'repr-digest-sha256' });
  const agreed = `sha-256=:${Buffer.from(a!.file('/data.bin').sha256, 'hex').toString('base64')}:`;
  b!.addFile('/data.bin', { size: 1 * MiB, seed: 'other', throttle: 2 * MiB, headers: { 'Repr-Digest': agreed } });
  const dir = await tempDir(t);
  const { summary, of } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4 })]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', a!.file('/data.bin').sha256);
  assert.ok(b!.stats.bytesServed > 0, 'the second mirror served ranges: its digest agreed');
  const warning = of('run:note').find((n) => /served wrong bytes/.test(n.message));
  assert.ok(warning?.message.includes(b!.url('/data.bin')), JSON.stringify(of('run:note')));
  assert.deepEqual(summary.files[0]!.served!.map((m) => m.bad === true), [false, true]);
});

test('without a checksum, a Repr-Digest only the second mirror announces proves nothing: the first serves the whole file', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  a!.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 4 * MiB });
  b!.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 4 * MiB, digest: 'repr-digest-sha256' });
  const dir = await tempDir(t);
  const { summary } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4 })]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(b!.stats.requests, 0);
});

test('a mirror\'s host starts slowly like any host and its cap is learned: a mirror serving one request at a time gets no burst and is not dropped', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  a!.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 2 * MiB });
  b!.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 2 * MiB });
  b!.setParallelLimit({ max: 1 });
  const dir = await tempDir(t);
  const file = mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 8, checksum: checksumOf(a!, '/data.bin') });
  const { summary } = await run(makeJob(dir, [file], { perHost: 4 }));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', a!.file('/data.bin').sha256);
  assert.ok(b!.stats.bytesServed > 0);
  // One connection until it answers, then two: one refusal finds the cap (a burst of perHost would bring three).
  assert.ok(b!.stats.refusals <= 1, `${b!.stats.refusals} refusals: ${JSON.stringify(b!.requests.map((r) => [r.range, r.status]))}`);
  // A refusal at the host's cap is not the mirror failing: it stays in use for the file.
  assert.equal(summary.files[0]!.served![1]!.dropped, undefined, JSON.stringify(summary.files[0]!.served));
});

test('a file waiting to start is not held back by its first host at its cap: it starts on a mirror with room', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  for (const s of [a!, b!]) for (const name of ['one', 'two']) s.addFile(`/${name}.bin`, { size: 1 * MiB, seed: name, throttle: 1 * MiB });
  const dir = await tempDir(t);
  // No checksum: each file comes whole from one mirror, whichever had a free connection when it started.
  const files = ['one', 'two'].map((name) => mirrored([a!.url(`/${name}.bin`), b!.url(`/${name}.bin`)], { relPath: `${name}.bin`, connections: 1 }));
  const { summary } = await run(makeJob(dir, files, { perHost: 1 }));
  assert.equal(summary.done, 2, JSON.stringify(summary.files));
  for (const name of ['one', 'two']) await assertDownloaded(dir, `${name}.bin`, a!.file(`/${name}.bin`).sha256);
  assert.equal(a!.stats.maxConcurrentServed, 1);
  assert.equal(b!.stats.maxConcurrentServed, 1);
  assert.equal(a!.group!.peak, 2, 'both files at once, one on each host');
  assert.deepEqual(summary.files.map((f) => f.served!.filter((m) => m.bytes > 0).length), [1, 1], 'each file from one mirror');
});
