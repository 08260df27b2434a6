/** Reuse instead of download: a declared sha256 already on disk (in the root or the cache) is linked, not fetched. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSummary } from '../../src/report/summary.js';
import { makeJob } from '../helpers/job.js';
import { assertDownloaded, fixture, KiB, run, sha256 } from '../helpers/engine.js';

/** A first run that leaves `a.bin` and a state file recording its sha256; a second URL serves the same bytes. */
async function rootWithA(t: Parameters<typeof fixture>[0]) {
  const { server, dir } = await fixture(t);
  server.addFile('/a.bin', { size: 200 * KiB, seed: 'same' });
  server.addFile('/b.bin', { size: 200 * KiB, seed: 'same' });
  const hex = server.file('/a.bin').sha256;
  const first = await run(makeJob(dir, [{ url: server.url('/a.bin'), ifExists: 'newer' }]));
  assert.equal(first.summary.files[0]?.outcome, 'downloaded');
  server.reset();
  return { server, dir, hex };
}

test('the same sha256 elsewhere in the root: no request, outcome reused, a hard link with the right bytes', async (t) => {
  const { server, dir, hex } = await rootWithA(t);
  const job = makeJob(dir, [{ url: server.url('/b.bin'), relPath: 'copies/b.bin', checksum: { algorithm: 'sha256', hex } }]);
  const second = await run(job);

  assert.equal(server.requests.length, 0, 'nothing was asked of the server');
  const result = second.summary.files[0]!;
  assert.equal(result.outcome, 'reused');
  assert.equal(result.size, 200 * KiB);
  assert.equal(result.sha256, hex);
  assert.equal(second.summary.done, 1);
  assert.equal(second.summary.transferred, 0);
  assert.match(second.of('file:done')[0]?.reason ?? '', /hard-linked from a\.bin/);
  assert.equal(sha256(await readFile(join(dir, 'copies', 'b.bin'))), hex);
  const [a, b] = [await stat(join(dir, 'a.bin')), await stat(join(dir, 'copies', 'b.bin'))];
  assert.equal(b.ino, a.ino, 'one inode: a hard link, no second copy');
  assert.deepEqual(await readdir(join(dir, 'copies')), ['b.bin'], 'no .part left behind');
  assert.match(formatSummary(second.summary), /^1 done \(1 reused\), 0 skipped, 0 failed/);
});

test('a copy in the cache folder is reused; a completed download is stored in the cache for later jobs', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/c.bin', { size: 100 * KiB });
  server.addFile('/d.bin', { size: 50 * KiB });
  const c = server.file('/c.bin');
  const cache = join(dir, 'cache');
  await mkdir(join(cache, 'sha256'), { recursive: true });
  await writeFile(join(cache, 'sha256', c.sha256), c.bytes());
  const out = join(dir, 'out');
  const job = {
    ...makeJob(out, [
      { url: c.url, checksum: { algorithm: 'sha256' as const, hex: c.sha256 } },
      { url: server.url('/d.bin') },
    ]),
    cache,
  };
  const result = await run(job);

  assert.deepEqual(result.summary.files.map((f) => f.outcome), ['reused', 'downloaded']);
  assert.deepEqual(server.requests.map((r) => r.path).filter((p) => p === '/c.bin'), [], 'c.bin was not requested');
  await assertDownloaded(out, 'c.bin', c.sha256);
  const d = server.file('/d.bin');
  assert.equal(sha256(await readFile(join(cache, 'sha256', d.sha256))), d.sha256, 'the download went into the cache');
  assert.equal((await stat(join(cache, 'sha256', d.sha256))).ino, (await stat(join(out, 'd.bin'))).ino);
});

test('a candidate whose bytes no longer match its recorded sha256 is not used: the file is downloaded', async (t) => {
  const { server, dir, hex } = await rootWithA(t);
  // Same size, other bytes: the state file still claims the old sha256 for a.bin.
  const edited = Buffer.alloc(200 * KiB, 7);
  await writeFile(join(dir, 'a.bin'), edited);
  const cache = join(dir, 'cache');
  await mkdir(join(cache, 'sha256'), { recursive: true });
  await writeFile(join(cache, 'sha256', hex), 'not the content its name claims');
  const job = { ...makeJob(dir, [{ url: server.url('/b.bin'), checksum: { algorithm: 'sha256' as const, hex } }]), cache };
  const result = await run(job);

  assert.equal(result.summary.files[0]?.outcome, 'downloaded');
  assert.ok(server.stats.bytesServed >= 200 * KiB, 'the bytes came from the server');
  await assertDownloaded(dir, 'b.bin', hex);
  assert.deepEqual(await readFile(join(dir, 'a.bin')), edited, 'the edited candidate is left alone');
  assert.notEqual((await stat(join(dir, 'b.bin'))).ino, (await stat(join(dir, 'a.bin'))).ino);
  assert.equal(await readFile(join(cache, 'sha256', hex), 'utf8'), 'not the content its name claims', 'a bad cache entry is not replaced');
});
