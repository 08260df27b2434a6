import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli, startCli, until } from '../helpers/cli.js';
import { fixture, KiB, sha256 } from '../helpers/engine.js';
import type { FixtureServer } from '../helpers/fixture-server.js';
import { startRedis } from '../helpers/redis-server.js';

// Short leases so a dead worker's files come back in about 3 s instead of 25 s.
const ENV = { PDL_QUEUE_LEASE_MS: '2000' };

async function jobFile(dir: string, server: FixtureServer, paths: string[], extra = ''): Promise<string> {
  const path = join(dir, 'jobs.yaml');
  await writeFile(path, `version: 1\ndefaults:\n  dir: ./out\n  retries: 0\n  connections: 1\n${extra}files:\n${paths.map((p) => `  - ${server.url(p)}`).join('\n')}\n`);
  return path;
}

async function assertAllRight(dir: string, server: FixtureServer, paths: string[]): Promise<void> {
  for (const path of paths) {
    const bytes = await readFile(join(dir, 'out', path.split('/').pop()!));
    assert.equal(sha256(bytes), server.file(path).sha256, path);
  }
}

interface StatusJson {
  seeded: boolean;
  done: number;
  failed: number;
  pending: number;
  active: number;
  failures: { path: string; reason: string }[];
  workers: { id: string; done: number }[];
}

async function status(job: string, url: string): Promise<StatusJson> {
  const result = await runCli(['status', job, '--queue', url, '--json'], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as StatusJson;
}

test('--queue: three workers in one folder, the run lock holder killed with SIGKILL midway; the others finish every file, fetching nothing twice beyond its files in flight; a plain run is refused meanwhile; --report tells the whole job', async (t) => {
  const redis = await startRedis(t);
  const { server, dir } = await fixture(t);
  const size = 96 * KiB;
  const paths = server.addFiles('/q', 30, { size, throttle: 128 * KiB });
  const job = await jobFile(dir, server, paths, 'limits:\n  files: 2\n');
  const workers = [0, 1, 2].map((i) =>
    startCli(['run', job, '--queue', redis.url, '--reporter', 'plain', '--report', join(dir, `report-${i}.json`)], { env: ENV, timeoutMs: 60_000 }),
  );
  await until(async () => server.stats.bytesServed >= size * 3, 20_000);
  const plain = await runCli(['run', job, '--reporter', 'plain'], { env: ENV });
  assert.equal(plain.code, 7, `a plain run collides with the workers: ${plain.stderr}`);

  await until(async () => server.stats.bytesServed >= (size * paths.length) / 3, 30_000);
  // The worker holding the folder's run lock is the one killed: the survivors, which only joined it, must not leave
  // its lock behind.
  const holder = (JSON.parse(await readFile(join(dir, 'out', '.pdl-run.lock'), 'utf8')) as { pid: number }).pid;
  const victim = workers.findIndex((w) => w.child.pid === holder);
  assert.ok(victim >= 0, `the lock's holder ${holder} is one of the workers`);
  workers[victim]!.child.kill('SIGKILL');
  const results = await Promise.all(workers.map((w) => w.result));
  const survivors = [0, 1, 2].filter((i) => i !== victim);
  const [killed, a, b] = [results[victim], results[survivors[0]!], results[survivors[1]!]];
  assert.equal(killed!.signal, 'SIGKILL');
  for (const result of [a!, b!]) {
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assertCleanStderr(result.stderr);
    // A file the killed worker had put in place but not yet reported is found complete by the next one: skipped.
    const totals = /(\d+) done, (\d+) skipped, 0 failed/.exec(result.stdout);
    assert.ok(totals, result.stdout);
    assert.equal(Number(totals[1]) + Number(totals[2]), 30, `each survivor tells the whole job: ${result.stdout}`);
  }
  await assertAllRight(dir, server, paths);
  // The killed worker had at most limits.files (2) files in flight; those may be fetched again (resumed from .part).
  assert.ok(server.stats.bytesServed <= size * (paths.length + 2), `${server.stats.bytesServed} bytes served for ${size * paths.length}`);
  const report = JSON.parse(await readFile(join(dir, `report-${survivors[0]}.json`), 'utf8')) as { exitCode: number; totals: { done: number; skipped: number }; files: unknown[] };
  assert.equal(report.exitCode, 0);
  assert.equal(report.totals.done + report.totals.skipped, 30);
  assert.equal(report.files.length, 30);
  const left = (await readdir(join(dir, 'out'))).filter((name) => !name.endsWith('.bin'));
  assert.deepEqual(left, [], 'no .part, claim or lock left behind');
});

test('--queue: limits.perHost holds across workers (counted at the server); a rerun after completion fetches nothing and exits 0', async (t) => {
  const redis = await startRedis(t);
  const { server, dir } = await fixture(t);
  const paths = server.addFiles('/h', 18, { size: 32 * KiB, throttle: 64 * KiB });
  const job = await jobFile(dir, server, paths, 'limits:\n  files: 3\n  perHost: 2\n');
  const results = await Promise.all([0, 1, 2].map(() => runCli(['run', job, '--queue', redis.url, '--reporter', 'plain'], { env: ENV, timeoutMs: 60_000 })));
  for (const result of results) assert.equal(result.code, 0, result.stdout + result.stderr);
  await assertAllRight(dir, server, paths);
  // Three workers of three files each would open up to 9 at once without the shared semaphore.
  assert.equal(server.stats.maxConcurrentRequests, 2);

  const requests = server.stats.requests;
  const rerun = await runCli(['run', job, '--queue', redis.url, '--reporter', 'plain'], { env: ENV });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(server.stats.requests, requests, 'nothing fetched again');
  assert.match(rerun.stdout, /18 done/);
});

test('pdl status --queue: pending before any worker; done, failed with reasons and per worker after; the exit code follows the whole job, also on a rerun', async (t) => {
  const redis = await startRedis(t);
  const { server, dir } = await fixture(t);
  const paths = server.addFiles('/s', 8, { size: 8 * KiB });
  const job = await jobFile(dir, server, [...paths, '/missing.bin']);

  const before = await status(job, redis.url);
  assert.deepEqual([before.seeded, before.pending, before.done, before.failed, before.active], [false, 9, 0, 0, 0]);

  const results = await Promise.all([0, 1].map(() => runCli(['run', job, '--queue', redis.url, '--reporter', 'plain'], { env: ENV, timeoutMs: 60_000 })));
  // Every failed file of the job failed for a network reason (404): exit 4 on both, whichever one met it.
  for (const result of results) assert.equal(result.code, 4, result.stdout + result.stderr);
  await assertAllRight(dir, server, paths);

  const after = await status(job, redis.url);
  assert.deepEqual([after.done, after.failed, after.pending, after.active], [8, 1, 0, 0]);
  assert.equal(after.failures[0]!.path, 'missing.bin');
  assert.match(after.failures[0]!.reason, /404/);
  assert.equal(after.workers.reduce((sum, worker) => sum + worker.done, 0), 8);
  const text = await runCli(['status', job, '--queue', redis.url], { env: ENV });
  assert.match(text.stdout, /8 done, 1 failed, 0 active, 0 pending/);
  assert.match(text.stdout, /FAILED missing\.bin: .*404/);

  const requests = server.stats.requests;
  const rerun = await runCli(['run', job, '--queue', redis.url, '--reporter', 'plain'], { env: ENV });
  assert.equal(rerun.code, 4);
  assert.equal(server.stats.requests, requests, 'a finished job is not fetched again');
});

test('--queue: the password from PDL_REDIS_PASSWORD, never shown; Redis unreachable, refusing or lost mid-run is exit 9 with a clear message, progress saved', async (t) => {
  const redis = await startRedis(t, { password: 'sesame' });
  const env = { ...ENV, PDL_REDIS_PASSWORD: 'sesame' };
  const { server, dir } = await fixture(t);
  const paths = server.addFiles('/r', 4, { size: 256 * KiB, throttle: 64 * KiB });
  const job = await jobFile(dir, server, paths);

  const refused = await runCli(['run', job, '--queue', 'redis://pdl:hunter2@127.0.0.1:1/0'], { env: ENV });
  assert.equal(refused.code, 9);
  assert.match(refused.stderr, /cannot reach Redis at redis:\/\/pdl:\*\*\*@127\.0\.0\.1:1\/0/);
  const denied = await runCli(['status', job, '--queue', redis.url], { env: { ...ENV, PDL_REDIS_PASSWORD: 'hunter2' } });
  assert.equal(denied.code, 9, denied.stderr);
  assert.match(denied.stderr, /cannot reach Redis at .*WRONGPASS/);
  const allowed = await runCli(['status', job, '--queue', redis.url], { env });
  assert.equal(allowed.code, 0, allowed.stderr);
  for (const result of [refused, denied]) {
    assert.ok(!(result.stdout + result.stderr).includes('hunter2'), 'the password is never shown');
    assertCleanStderr(result.stderr);
  }

  const worker = startCli(['run', job, '--queue', redis.url, '--reporter', 'plain'], { env, timeoutMs: 60_000 });
  await until(async () => server.stats.bytesServed > 64 * KiB, 20_000);
  await redis.stop();
  const lost = await worker.result;
  assert.equal(lost.code, 9, lost.stdout + lost.stderr);
  assert.match(lost.stderr, new RegExp(`lost Redis at redis://127\\.0\\.0\\.1:${redis.port}/0`));
  assertCleanStderr(lost.stderr);
  // Nothing presented as complete unless it is: a file in place is the whole file, the rest wait in .part files.
  const names = await readdir(join(dir, 'out'));
  for (const name of names.filter((n) => n.endsWith('.bin'))) {
    assert.equal(sha256(await readFile(join(dir, 'out', name))), server.file(`/r/${name}`).sha256);
  }
  assert.ok(names.some((n) => n.endsWith('.part')), `progress saved: ${names.join(', ')}`);
});
