/**
 * A final file already at the path under `resume`/`skip`: accepted without a request only when pdl knows it (its
 * state records it with this size) or a given checksum matches; otherwise one probe compares sizes with the server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IfExists } from '../../src/job/resolved.js';
import { makeJob } from '../helpers/job.js';
import { fixture, KiB, run } from '../helpers/engine.js';

const MODES: IfExists[] = ['resume', 'skip'];

/** Bytes and mtime, to prove the user's file was left exactly as it was. */
async function snapshot(path: string) {
  return { bytes: await readFile(path), mtimeMs: (await stat(path)).mtimeMs };
}

for (const ifExists of MODES) {
  test(`ifExists: ${ifExists}: a foreign file of another size fails with E_IO naming both sizes, and is left as it was`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/small.bin', { size: KiB });
    const path = join(dir, 'small.bin');
    await writeFile(path, 'hello\n');
    // An old mtime: a rewrite of the same bytes would still show.
    await utimes(path, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
    const before = await snapshot(path);
    const result = await run(makeJob(dir, [{ url: server.url('/small.bin'), ifExists }]));
    const file = result.summary.files[0];
    assert.equal(file?.outcome, 'failed', JSON.stringify(file));
    assert.equal(file?.error?.code, 'E_IO');
    assert.match(file?.error?.message ?? '', /6 bytes/);
    assert.match(file?.error?.message ?? '', /1024 bytes/);
    assert.match(file?.error?.message ?? '', /ifExists: overwrite/);
    assert.deepEqual(await snapshot(path), before);
    assert.equal(server.requests.length, 1, 'one probe');
    assert.equal(server.requests[0]?.range, 'bytes=0-0');
    assert.ok(server.stats.bytesServed <= 1);
  });
}

test('a foreign file of the server\'s size is skipped after one probe request', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/same.bin', { size: 2 * KiB });
  const path = join(dir, 'same.bin');
  await writeFile(path, Buffer.alloc(2 * KiB, 7));
  const before = await snapshot(path);
  const result = await run(makeJob(dir, [{ url: server.url('/same.bin') }]));
  assert.equal(result.summary.files[0]?.outcome, 'skipped', JSON.stringify(result.summary.files[0]));
  assert.equal(server.stats.requestsByPath['/same.bin'], 1);
  assert.equal(server.requests.length, 1);
  assert.deepEqual(await snapshot(path), before);
});

test('a file pdl finished itself (recorded in the folder\'s state) is skipped with no request', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/mine.bin', { size: 100 * KiB });
  const job = makeJob(dir, [{ url: server.url('/mine.bin') }]);
  const first = await run(job, { keepState: true });
  assert.equal(first.summary.files[0]?.outcome, 'downloaded');
  server.reset();
  for (const ifExists of MODES) {
    const again = await run({ ...job, files: job.files.map((f) => ({ ...f, ifExists })) });
    assert.equal(again.summary.files[0]?.outcome, 'skipped', ifExists);
    assert.equal(server.requests.length, 0, ifExists);
  }
  // Cut short since: no longer what pdl recorded, so the server is asked, and the sizes differ.
  await truncate(join(dir, 'mine.bin'), 10 * KiB);
  const cut = await run(job);
  assert.equal(cut.summary.files[0]?.outcome, 'failed');
  assert.match(cut.summary.files[0]?.error?.message ?? '', /10240 bytes.*102400 bytes/);
  assert.equal(server.requests.length, 1);
});

test('a given checksum that matches the present file: skipped with no request', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/sum.bin', { size: 3 * KiB });
  const served = server.file('/sum.bin');
  await writeFile(join(dir, 'sum.bin'), served.bytes());
  const result = await run(makeJob(dir, [{ url: served.url, checksum: { algorithm: 'sha256', hex: served.sha256 } }]));
  assert.equal(result.summary.files[0]?.outcome, 'skipped');
  assert.equal(server.requests.length, 0);
});
