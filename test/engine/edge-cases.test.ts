import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineEmitter } from '../../src/engine/events.js';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { makeJob } from '../helpers/job.js';
import { assertDownloaded, fixture, KiB, MiB, run } from '../helpers/engine.js';

/** Resolves with `work`, or rejects when it takes longer than `ms` (a hang must fail the test, not stall it). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no result after ${ms} ms`)), ms).unref())]);
}

test('a stop that lands while a file is being re-downloaded after a checksum mismatch ends the run', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/sum.bin', { size: 300 * KiB });
  const job = makeJob(dir, [{ url: server.url('/sum.bin'), connections: 1, checksum: { algorithm: 'sha256', hex: '0'.repeat(64) } }]);
  const stop = new AbortController();
  const events = new EngineEmitter();
  // The mismatch retry happens with no connection open: exactly where a stop used to go unheard.
  events.on('file:retry', (e) => {
    if (e.reason.includes('downloading again')) stop.abort('SIGINT');
  });
  const { summary } = await within(5000, run(job, { signal: stop.signal }, events));
  assert.equal(summary.stopped, 'SIGINT');
  assert.equal(summary.files[0]?.outcome, 'interrupted');
  assert.deepEqual(await readdir(dir), [], 'nothing unverified is left');
});

test('a 206 with an unknown total that is shorter than asked is never taken for the whole file', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/capped.bin', { size: 600 * KiB, faults: [{ type: 'unknown-total', max: 100 * KiB, rangeStart: 'range' }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/capped.bin'), connections: 4 }]));
  assert.equal(summary.files[0]?.outcome, 'downloaded', JSON.stringify(summary.files[0]));
  await assertDownloaded(dir, 'capped.bin', server.file('/capped.bin').sha256);
  assert.equal(server.requests.at(-1)?.range, undefined, 'the file was fetched as one plain stream');
});

test('an expired redirect target (403) is resolved again from the URL in the job', async (t) => {
  const { server: origin, dir } = await fixture(t);
  const cdn = await startFixtureServer();
  t.after(() => cdn.close());
  // The second request straight to the CDN URL is refused, as a signed URL is once it expires.
  cdn.addFile('/signed.bin', { size: 2 * MiB, throttle: 1 * MiB, faults: [{ type: 'status', status: 403, attempts: [2] }] });
  origin.addRedirect('/release.bin', cdn.url('/signed.bin'));
  const job = makeJob(dir, [{ url: origin.url('/release.bin'), connections: 4, minSplitSize: 128 * KiB }]);
  const { summary } = await run(job);
  assert.equal(summary.files[0]?.outcome, 'downloaded', JSON.stringify(summary.files[0]));
  await assertDownloaded(dir, 'release.bin', cdn.file('/signed.bin').sha256);
  assert.ok(origin.requests.length >= 2, `the job's URL was asked again (${origin.requests.length} requests)`);
});

test('a control file pdl would never write (ranges: false) is not trusted: the file is fetched whole', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/odd.bin', { size: 200 * KiB });
  const file = join(dir, 'odd.bin');
  await writeFile(`${file}.part`, Buffer.alloc(200 * KiB));
  const state = { format: 'pdl-resume', version: 1, url: server.url('/odd.bin'), size: 200 * KiB, etag: server.file('/odd.bin').etag, lastModified: null, ranges: false, done: [{ start: 0, end: 100 * KiB }], updatedAt: new Date().toISOString() };
  await writeFile(`${file}.pdl`, JSON.stringify(state));
  const { summary } = await within(5000, run(makeJob(dir, [{ url: server.url('/odd.bin'), connections: 2 }])));
  assert.equal(summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'odd.bin', server.file('/odd.bin').sha256);
});
