/**
 * Splitting by measured speed with the default rules (split-policy.ts): a range is split when it would still take
 * more than 2 s at its measured rate; a connection far slower than its peers hands its range over; a host that caps
 * connections is learned (and remembered in the output folder) instead of failing the file. Counts only, never time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { assertDownloaded, fixture, KiB, MiB, run } from '../helpers/engine.js';
import { makeJob, tempDir } from '../helpers/job.js';
import { HOST_CAPACITY_FILE_NAME } from '../../src/storage/host-capacity-file.js';

/** The engine's own defaults (the engine test helper otherwise splits whatever is measured). */
const DEFAULT_RULES = { splitRules: {} };
const MB = 1_000_000;

/** [start, end) of a request's `bytes=a-b` / `bytes=a-` range, for a file of `size`. */
function span(range: string | undefined, size: number): { start: number; end: number } {
  const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? 'bytes=0-')!;
  return { start: Number(m[1]), end: m[2] === '' ? size : Number(m[2]) + 1 };
}

test('a file throttled per connection (8 MB at 1 MB/s, -c 8) is fetched over several connections at once', { timeout: 60_000 }, async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/slow.bin', { size: 8 * MB, throttle: 1 * MB });
  const job = makeJob(dir, [{ url: server.url('/slow.bin'), connections: 8, minSplitSize: 256 * KiB }]);
  const { summary } = await run(job, DEFAULT_RULES);
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'slow.bin', server.file('/slow.bin').sha256);
  // The old fixed rule (4 MiB) never split 8 MB: one request, one connection.
  assert.ok(server.stats.maxConcurrentServed >= 4, `at most ${server.stats.maxConcurrentServed} served at once`);
  assert.ok(server.stats.requests <= 64, `${server.stats.requests} requests`);
  // Nothing fetched twice beyond what cut-short requests had in flight.
  assert.ok(server.stats.bytesServed < 8 * MB + 4 * MiB, `${server.stats.bytesServed} bytes served`);
});

test('an unthrottled 64 MiB file does not explode into tiny requests (at most 64)', { timeout: 60_000 }, async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/fast.bin', { size: 64 * MiB });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/fast.bin'), connections: 8, minSplitSize: 256 * KiB }]), DEFAULT_RULES);
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'fast.bin', server.file('/fast.bin').sha256);
  assert.ok(server.stats.requests <= 64, `${server.stats.requests} requests`);
});

test('a straggler connection hands its range to faster ones: the crawling request is cut short', { timeout: 90_000 }, async (t) => {
  const { server, dir } = await fixture(t);
  const size = 8 * MiB;
  // The first request for a range not at 0 crawls at 20 KiB/s; every other one gets 2 MiB/s.
  server.addFile('/lag.bin', { size, throttle: 2 * MiB, faults: [{ type: 'throttle', bytesPerSecond: 20 * KiB, rangeStart: 'nonzero', attempts: [1] }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/lag.bin'), connections: 4, minSplitSize: 256 * KiB, timeout: 60_000 }]), DEFAULT_RULES);
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'lag.bin', server.file('/lag.bin').sha256);
  const crawler = server.requests.find((r) => r.faults.includes('throttle'));
  assert.ok(crawler, 'the straggler was never started');
  const slow = span(crawler.range, size);
  // Other requests fetched bytes of the straggler's range: it was split and handed over.
  const takers = server.requests.filter((r) => r !== crawler && r.status === 206).map((r) => span(r.range, size)).filter((s) => s.start > slow.start && s.start < slow.end);
  assert.ok(takers.length >= 1, `nobody took over ${crawler.range}: ${server.requests.map((r) => r.range).join(' ')}`);
  // At 20 KiB/s the crawler alone would have sent its whole range; it sent a small part of it.
  assert.ok(server.stats.bytesServed < size + (slow.end - slow.start) / 2, `${server.stats.bytesServed} bytes served`);
});

test('a host that serves 3 requests at once: the file completes with few refusals, and the next run starts at 3', { timeout: 90_000 }, async (t) => {
  const server = await startFixtureServer({ parallelLimit: { max: 3 } });
  t.after(() => server.close());
  const dir = await tempDir(t);
  server.addFile('/capped.bin', { size: 8 * MiB, throttle: 1 * MiB });
  const limits = { connections: 16, perHost: 16 };
  const first = await run(makeJob(dir, [{ url: server.url('/capped.bin'), relPath: 'one.bin', connections: 16, minSplitSize: 256 * KiB }], limits), DEFAULT_RULES);
  assert.equal(first.summary.done, 1, JSON.stringify(first.summary.files));
  await assertDownloaded(dir, 'one.bin', server.file('/capped.bin').sha256);
  const firstRefusals = server.stats.refusals;
  // The old engine opened its connections at once and had most refused (22 in the bench); a slow start finds the cap.
  assert.ok(firstRefusals >= 1 && firstRefusals <= 6, `${firstRefusals} refusals`);
  assert.ok(server.stats.maxConcurrentServed === 3);
  const saved = JSON.parse(await readFile(join(dir, HOST_CAPACITY_FILE_NAME), 'utf8')) as { hosts: Record<string, { target: number; perHost: number }> };
  const host = new URL(server.origin).host;
  assert.ok(saved.hosts[host] !== undefined && saved.hosts[host].target <= 3, JSON.stringify(saved));
  assert.equal(saved.hosts[host].perHost, 16);

  server.reset();
  const second = await run(makeJob(dir, [{ url: server.url('/capped.bin'), relPath: 'two.bin', connections: 16, minSplitSize: 256 * KiB }], limits), DEFAULT_RULES);
  assert.equal(second.summary.done, 1, JSON.stringify(second.summary.files));
  await assertDownloaded(dir, 'two.bin', server.file('/capped.bin').sha256);
  assert.ok(server.stats.refusals < firstRefusals, `second run: ${server.stats.refusals} refusals, first: ${firstRefusals}`);
});

test('a host refusing even a lone connection (503) still fails the file after its retries', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/never.bin', { size: 64 * KiB, faults: [{ type: 'status', status: 503 }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/never.bin'), connections: 4, retries: 1 }]), DEFAULT_RULES);
  assert.equal(summary.failed, 1);
  assert.match(summary.files[0]?.error?.message ?? '', /503/);
  assert.equal(server.stats.requests, 2);
});
