/** Files with several mirrors (`urls:`) against several fixture servers on loopback serving the same content. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FixtureServer } from '../helpers/fixture-server.js';
import { mirrorServers } from '../helpers/mirror-servers.js';
import { makeJob, tempDir, type FileInput } from '../helpers/job.js';
import { assertDownloaded, KiB, MiB, run, sha256 } from '../helpers/engine.js';

const servers = mirrorServers;

/** One file whose first URL is `urls[0]` and the rest are its mirrors. */
function mirrored(urls: string[], file: Partial<FileInput> = {}): FileInput {
  return { url: urls[0]!, mirrors: urls.slice(1).map((url) => ({ url, displayUrl: url })), relPath: 'data.bin', ...file };
}

const checksumOf = (server: FixtureServer, path: string) => ({ algorithm: 'sha256' as const, hex: server.file(path).sha256 });

test('a dead first mirror: the file comes whole from the next one, and the report names who served what', async (t) => {
  const [dead, good] = await servers(t, 2);
  dead!.addFile('/data.bin', { size: 300 * KiB, seed: 'data', faults: [{ type: 'status', status: 404 }] });
  good!.addFile('/data.bin', { size: 300 * KiB, seed: 'data' });
  const dir = await tempDir(t);
  const { summary, of } = await run(makeJob(dir, [mirrored([dead!.url('/data.bin'), good!.url('/data.bin')])]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', good!.file('/data.bin').sha256);
  assert.equal(dead!.stats.bytesServed, 0);
  const served = summary.files[0]!.served!;
  // Bytes as received: a first request cut short by a split may bring more than it kept.
  assert.equal(served[0]!.bytes, 0);
  assert.ok(served[1]!.bytes >= 300 * KiB);
  assert.match(served[0]!.dropped ?? '', /404/);
  assert.ok(of('run:note').some((n) => /mirror .*127\.0\.0\.1.* \(.*404/.test(n.message)), JSON.stringify(of('run:note')));
});

test('with a checksum, two good mirrors both serve ranges of one file', async (t) => {
  const [a, b] = await servers(t, 2);
  for (const s of [a!, b!]) s.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 2 * MiB });
  const dir = await tempDir(t);
  const file = mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4, checksum: checksumOf(a!, '/data.bin') });
  const { summary } = await run(makeJob(dir, [file]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', a!.file('/data.bin').sha256);
  assert.ok(a!.stats.bytesServed > 0 && b!.stats.bytesServed > 0, `${a!.stats.bytesServed} / ${b!.stats.bytesServed}`);
  const served = summary.files[0]!.served!;
  // Counted as received: a range cut short by a split may bring a few bytes more than it kept.
  assert.ok(served[0]!.bytes > 0 && served[1]!.bytes > 0 && served[0]!.bytes + served[1]!.bytes >= 2 * MiB, JSON.stringify(served));
  assert.ok(served[0]!.bytes <= a!.stats.bytesServed && served[1]!.bytes <= b!.stats.bytesServed);
});

test('without a checksum, every byte comes from one mirror even with several connections', async (t) => {
  const [a, b] = await servers(t, 2);
  for (const s of [a!, b!]) s.addFile('/data.bin', { size: 2 * MiB, seed: 'data', throttle: 4 * MiB });
  const dir = await tempDir(t);
  const { summary } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4 })]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.ok(a!.stats.bytesServed >= 2 * MiB);
  assert.equal(b!.stats.requests, 0);
  assert.deepEqual(summary.files[0]!.served!.map((m) => m.bytes > 0), [true, false]);
});

test('with a checksum, a slow first mirror does not hold the file back: the fast second one serves most of it', async (t) => {
  const [slow, fast] = await servers(t, 2);
  slow!.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 128 * KiB });
  fast!.addFile('/data.bin', { size: 4 * MiB, seed: 'data', throttle: 4 * MiB });
  const dir = await tempDir(t);
  const file = mirrored([slow!.url('/data.bin'), fast!.url('/data.bin')], { connections: 4, minSplitSize: 128 * KiB, checksum: checksumOf(fast!, '/data.bin') });
  const { summary } = await run(makeJob(dir, [file]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', fast!.file('/data.bin').sha256);
  const served = summary.files[0]!.served!;
  assert.ok(served[1]!.bytes > 3 * served[0]!.bytes, JSON.stringify(served));
});

test('with a checksum, a mirror serving other bytes is found and named, and the file comes right from the good one', async (t) => {
  const [bad, good] = await servers(t, 2);
  bad!.addFile('/data.bin', { size: 1 * MiB, seed: 'other', throttle: 2 * MiB });
  good!.addFile('/data.bin', { size: 1 * MiB, seed: 'data', throttle: 2 * MiB });
  const dir = await tempDir(t);
  const file = mirrored([bad!.url('/data.bin'), good!.url('/data.bin')], { connections: 4, checksum: checksumOf(good!, '/data.bin') });
  const { summary, of } = await run(makeJob(dir, [file]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', good!.file('/data.bin').sha256);
  const warning = of('run:note').find((n) => /served wrong bytes/.test(n.message));
  assert.ok(warning, JSON.stringify(of('run:note')));
  assert.ok(warning.message.includes(bad!.url('/data.bin')), warning.message);
  assert.ok(!warning.message.includes(good!.url('/data.bin')), warning.message);
  assert.deepEqual(summary.files[0]!.served!.map((m) => m.bad === true), [true, false]);
});

test('without a checksum, mirrors with different bytes give one whole version, never a mix', async (t) => {
  const [a, b] = await servers(t, 2);
  a!.addFile('/data.bin', { size: 1 * MiB, seed: 'one', throttle: 2 * MiB });
  b!.addFile('/data.bin', { size: 1 * MiB, seed: 'two', throttle: 2 * MiB });
  const dir = await tempDir(t);
  const { summary } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')], { connections: 4 })]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  const got = sha256(await readFile(join(dir, 'data.bin')));
  assert.ok([a!.file('/data.bin').sha256, b!.file('/data.bin').sha256].includes(got), 'a mix of both mirrors');
});

test('a mirror that resets after 1 MB every time is left for the next one', async (t) => {
  const [flaky, good] = await servers(t, 2);
  flaky!.addFile('/data.bin', { size: 3 * MiB, seed: 'data', faults: [{ type: 'reset', afterBytes: 1 * MiB }] });
  good!.addFile('/data.bin', { size: 3 * MiB, seed: 'data' });
  const dir = await tempDir(t);
  const { summary, of } = await run(makeJob(dir, [mirrored([flaky!.url('/data.bin'), good!.url('/data.bin')], { connections: 1, retries: 5 })]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', good!.file('/data.bin').sha256);
  // No checksum: the file started again from the good mirror (and the log says so), it was not pieced together.
  assert.ok(of('file:retry').some((e) => /starting again from .*127\.0\.0\.2/.test(e.reason)), JSON.stringify(of('file:retry')));
  assert.equal(summary.files[0]!.served![1]!.bytes, 3 * MiB);
});

test('every mirror dead: the file fails once, naming each mirror, and leaves no file', async (t) => {
  const [a, b] = await servers(t, 2);
  a!.addFile('/data.bin', { size: 100 * KiB, faults: [{ type: 'status', status: 404 }] });
  b!.addFile('/data.bin', { size: 100 * KiB, faults: [{ type: 'status', status: 410 }] });
  const dir = await tempDir(t);
  const { summary, of } = await run(makeJob(dir, [mirrored([a!.url('/data.bin'), b!.url('/data.bin')])]));
  assert.equal(summary.failed, 1);
  const failed = of('file:failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.error.code, 'E_ALL_MIRRORS_FAILED');
  assert.match(failed[0]!.error.message, /127\.0\.0\.1.*404.*127\.0\.0\.2.*410/);
  assert.deepEqual(await readdir(dir), []);
});
