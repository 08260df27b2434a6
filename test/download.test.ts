import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ChecksumMismatchError, download, HttpStatusError, PdlError } from '../src/index.js';
import { fixture, KiB, run, sha256 } from './helpers/engine.js';
import { makeJob } from './helpers/job.js';

test('download(): one URL to one path through the same engine, verified; failures reject with the PdlError', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/lib.bin', { size: 700 * KiB, throttle: 4096 * KiB });
  const out = join(dir, 'sub', 'lib.bin');
  const result = await download(server.url('/lib.bin'), out, { connections: 4, minSplitSize: '128KiB', checksum: `sha256:${server.file('/lib.bin').sha256}` });
  assert.equal(result.outcome, 'downloaded');
  assert.equal(result.sha256, server.file('/lib.bin').sha256);
  assert.equal(sha256(await readFile(out)), server.file('/lib.bin').sha256);

  const failure = await download(server.url('/missing.bin'), join(dir, 'missing.bin'), { retries: 0 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(failure instanceof PdlError);
  assert.equal(failure.code, 'E_HTTP_STATUS');
  assert.equal(failure.exitCode, 4);

  await assert.rejects(download('gopher://example.org/x', join(dir, 'x')), (error: unknown) => error instanceof PdlError && error.exitCode === 2);
});

test('download(): two calls writing one path at once — one gets the file, the other is refused (E_FILE_CLAIMED, 7)', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/one.bin', { size: 512 * KiB, throttle: 256 * KiB });
  server.addFile('/two.bin', { size: 512 * KiB, throttle: 256 * KiB });
  const out = join(dir, 'same.bin');
  const settled = await Promise.allSettled([download(server.url('/one.bin'), out, { connections: 1 }), download(server.url('/two.bin'), out, { connections: 1 })]);
  const won = settled.findIndex((s) => s.status === 'fulfilled');
  const lost = settled.find((s) => s.status === 'rejected');
  assert.ok(won >= 0 && lost !== undefined, 'exactly one of the two succeeded');
  assert.ok(lost.reason instanceof PdlError);
  assert.equal(lost.reason.code, 'E_FILE_CLAIMED');
  assert.equal(lost.reason.exitCode, 7);
  assert.match(lost.reason.message, new RegExp(`pid ${process.pid} `));
  assert.equal(sha256(await readFile(out)), server.file(won === 0 ? '/one.bin' : '/two.bin').sha256);
  assert.deepEqual(await readdir(dir), ['same.bin']);
});

test('download() rejects with the error that stopped the file, its class and cause intact', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/lib.bin', { size: 64 * KiB });
  const missing = await download(server.url('/missing.bin'), join(dir, 'missing.bin'), { retries: 0 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(missing instanceof HttpStatusError, String(missing));
  assert.equal(missing.status, 404);

  const wrong = `sha256:${'0'.repeat(64)}`;
  const mismatch = await download(server.url('/lib.bin'), join(dir, 'lib.bin'), { checksum: wrong }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(mismatch instanceof ChecksumMismatchError, String(mismatch));
  assert.equal(mismatch.exitCode, 3);
  await assert.rejects(readFile(join(dir, 'lib.bin')), { code: 'ENOENT' });

  // A stall that ran out of retries keeps its own class too, and what the network said is its cause.
  server.addFile('/reset.bin', { size: 64 * KiB, faults: [{ type: 'reset', afterBytes: 0 }] });
  const reset = await download(server.url('/reset.bin'), join(dir, 'reset.bin'), { retries: 0 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(reset instanceof PdlError, String(reset));
  assert.equal(reset.exitCode, 4);
  assert.ok(reset.cause !== undefined, 'the network error is kept as the cause');
});

test('a failed file result carries the error for library callers, but reports and JSON leave it out', async (t) => {
  const { server, dir } = await fixture(t);
  const { summary } = await run(makeJob(dir, [{ url: server.url('/missing.bin'), retries: 0 }]));
  const file = summary.files[0]!;
  assert.ok(file.failure instanceof HttpStatusError);
  assert.equal(JSON.parse(JSON.stringify(file)).failure, undefined);
  assert.equal(file.error?.code, 'E_HTTP_STATUS');
});
