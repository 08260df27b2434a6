/** Servers that announce the whole file, send a little and close: retries stay bounded, real progress still counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeJob } from '../helpers/job.js';
import { KiB, MiB, assertDownloaded, fixture, run } from '../helpers/engine.js';
import { assertCleanStderr, runCli } from '../helpers/cli.js';

// Safety net only: on code without the bound a dripping server keeps the run going for minutes.
const GUARD = { timeout: 120_000 };

test('a server that drips a few hundred bytes per connection fails the file after the retries, not never', GUARD, async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/drip.bin', { size: 200 * KiB, faults: [{ type: 'short', bytes: 300 }] });
  const connections = 4;
  const retries = 3;
  const { summary } = await run(makeJob(dir, [{ url: server.url('/drip.bin'), connections, retries, minSplitSize: 16 * KiB }]));
  assert.equal(summary.failed, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.error?.kind, 'network');
  assert.match(summary.files[0]?.error?.message ?? '', /server keeps closing the connection early: 4 attempts in a row brought only \d+ bytes/);
  // Each connection gets its first try and `retries` more; a few hundred bytes never count as progress.
  assert.ok(server.requests.length <= connections * (retries + 1), `${server.requests.length} requests`);
});

test('a server that closes after large chunks still completes: real progress resets the retry count', GUARD, async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/chunks.bin', { size: 2 * MiB, faults: [{ type: 'short', bytes: 256 * KiB }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/chunks.bin'), connections: 1, retries: 1 }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'chunks.bin', server.file('/chunks.bin').sha256);
  assert.equal(server.requests.length, 8);
});

test('a file has an overall budget of failed attempts, even when each one brings real progress', GUARD, async (t) => {
  const { server, dir } = await fixture(t);
  // 80 KiB is more than 64 KiB and 1 % of the file, so each attempt is real progress; 52 attempts would be needed.
  server.addFile('/slow.bin', { size: 4 * MiB, faults: [{ type: 'short', bytes: 80 * KiB }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/slow.bin'), connections: 1, retries: 1 }]));
  assert.equal(summary.failed, 1, JSON.stringify(summary.files));
  const error = summary.files[0]?.error;
  assert.equal(error?.kind, 'network');
  assert.match(error?.message ?? '', /server keeps closing the connection early: 21 failed attempts/);
  // The budget for --retries 1 is 20 failed attempts: the 21st failure ends the file.
  assert.equal(server.requests.length, 21);
  // What arrived is kept for a rerun.
  assert.equal(summary.files[0]?.completedBytes, 21 * 80 * KiB);
});

test('pdl get against a dripping server exits 4 with the reason, bounded in requests', GUARD, async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/drip.bin', { size: 200 * KiB, faults: [{ type: 'short', bytes: 200 }] });
  const result = await runCli(['get', url, '-c', '1', '--retries', '2', '-o', join(dir, 'drip.bin')], { timeoutMs: 100_000 });
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /server keeps closing the connection early: 3 attempts in a row brought only 600 bytes/);
  assertCleanStderr(result.stderr);
  assert.equal(server.requests.length, 3);
});
