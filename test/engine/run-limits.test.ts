/**
 * The job-level scheduler against the real fixture server: start order, the files/connections/perHost limits,
 * files before ranges, keep-alive reuse across files, and the shared rate limit. Every assertion is about what
 * the servers saw or what reached the disk, never about how fast pdl is.
 */
import { test,type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile,readdir } from 'node:fs/promises';
import { createDispatcher } from '../../src/http/agent.js';
import { runJob,type RunOptions } from '../../src/run-job.js';
import { EngineEmitter,type EngineEventName,type EngineEvents } from '../../src/engine/events.js';
import type { ResolvedJob } from '../../src/job/resolved.js';
import { startFixtureServer,type FixtureServer } from '../helpers/fixture-server.js';
import { makeJob,tempDir } from '../helpers/job.js';
import { sha256, KiB, MiB, SPLIT_MEASURED } from '../helpers/engine.js';


async function server(t: TestContext, host?: string): Promise<FixtureServer> {
  const s = await startFixtureServer(host ? { host } : {});
  t.after(() => s.close());
  return s;
}

interface Seen {
  name: EngineEventName;
  event: unknown;
  /** performance.now() when emitted. */
  at: number;
}

async function run(job: ResolvedJob, options: RunOptions = {}, events = new EngineEmitter()) {
  const seen: Seen[] = [];
  const stop = events.onAny((name, event) => seen.push({ name, event, at: performance.now() }));
  const startedAt = performance.now();
  const summary = await runJob(job, { splitRules: SPLIT_MEASURED, ...options, events });
  stop();
  const of = <K extends EngineEventName>(name: K) => seen.filter((e) => e.name === name).map((e) => e.event as EngineEvents[K]);
  const timed = <K extends EngineEventName>(name: K) =>
    seen.filter((e) => e.name === name).map((e) => ({ ...(e.event as EngineEvents[K]), at: e.at - startedAt }));
  return { summary, of, timed, seen };
}

/** Every file of the job is on disk with the server's bytes, and no .part/.pdl is left anywhere. */
async function assertAllDownloaded(job: ResolvedJob, servedSha: (relPath: string) => string): Promise<void> {
  for (const file of job.files) assert.equal(sha256(await readFile(file.path)), servedSha(file.relPath), file.relPath);
  const names = await readdir(job.dir, { recursive: true });
  assert.deepEqual(
    names.filter((n) => n.endsWith('.part') || n.endsWith('.pdl')),
    [],
  );
}

/** The most files at once between their first event after file:queued and their file:done/failed/interrupted. */
function maxFilesInFlight(seen: readonly Seen[]): number {
  const inFlight = new Set<string>();
  let max = 0;
  for (const { name, event } of seen) {
    const path = (event as { path?: string }).path;
    if (path === undefined || name === 'file:queued') continue;
    if (name === 'file:done' || name === 'file:failed' || name === 'file:interrupted') inFlight.delete(path);
    else inFlight.add(path);
    max = Math.max(max, inFlight.size);
  }
  return max;
}

/**
 * Samples the sum of requests in progress on several servers every millisecond: the per-server maxima are exact
 * (the fixture counts them), the total across hosts can only be sampled. Throttled responses keep it steady for
 * hundreds of milliseconds, so a sample every millisecond sees every plateau.
 */
function watchTotalRequests(servers: readonly FixtureServer[]) {
  let max = 0;
  const timer = setInterval(() => {
    max = Math.max(max, servers.reduce((sum, s) => sum + s.stats.currentRequests, 0));
  }, 1);
  return {
    stop(): number {
      clearInterval(timer);
      return max;
    },
  };
}

test('with limits.files = 1 the server sees files in priority order, ties in job-file order', async (t) => {
  const s = await server(t);
  const dir = await tempDir(t);
  const priorities = [0, 5, 0, 10, 5, -1, 10];
  const files = priorities.map((priority, i) => {
    const path = `/p${i}.bin`;
    s.addFile(path, { size: 32 * KiB + i });
    return { url: s.url(path), priority };
  });
  const job = makeJob(dir, files, { files: 1 });
  const { summary, of } = await run(job);
  assert.equal(summary.done, priorities.length, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => s.file(`/${rel}`).sha256);
  const firstRequests = [...new Set(s.requests.map((r) => r.path))];
  assert.deepEqual(firstRequests, ['/p3.bin', '/p6.bin', '/p1.bin', '/p4.bin', '/p0.bin', '/p2.bin', '/p5.bin']);
  // One file at a time: each file's requests all come before the next file's first.
  const byFile = s.requests.map((r) => r.path);
  assert.deepEqual(
    byFile.filter((p, i) => p !== byFile[i - 1]),
    firstRequests,
  );
  assert.deepEqual(
    of('file:start').map((e) => e.path),
    firstRequests.map((p) => p.slice(1)),
  );
});

test('limits.files, limits.connections and limits.perHost hold across two hosts', async (t) => {
  const a = await server(t);
  const b = await server(t, '127.0.0.2');
  const dir = await tempDir(t);
  // A dispatcher far roomier than perHost: undici's own pool cap must not be what keeps the numbers down.
  const dispatcher = createDispatcher({ perHost: 64 });
  t.after(() => dispatcher.close());
  const limits = { files: 4, connections: 5, perHost: 3 };
  const files = [a, b].flatMap((s, host) =>
    [0, 1, 2].map((i) => {
      const path = `/h${host}-${i}.bin`;
      s.addFile(path, { size: 512 * KiB, throttle: 512 * KiB });
      return { url: s.url(path), relPath: `h${host}-${i}.bin`, connections: 4, minSplitSize: 64 * KiB };
    }),
  );
  const job = makeJob(dir, files, limits);
  const total = watchTotalRequests([a, b]);
  const { summary, seen } = await run(job, { dispatcher });
  const maxTotal = total.stop();
  assert.equal(summary.done, 6, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => (rel.startsWith('h0') ? a : b).file(`/${rel}`).sha256);

  const perServer = [a.stats.maxConcurrentRequests, b.stats.maxConcurrentRequests];
  assert.ok(perServer.every((n) => n <= limits.perHost), `perHost ${limits.perHost}, servers saw ${perServer.join(' and ')}`);
  assert.ok(maxTotal <= limits.connections, `connections ${limits.connections}, both servers together saw ${maxTotal}`);
  assert.ok(maxFilesInFlight(seen) <= limits.files, `files ${limits.files}, events show ${maxFilesInFlight(seen)} in flight`);
  // The limits were reached, not merely respected by a run that never tried.
  assert.ok(perServer.some((n) => n === limits.perHost), `no host reached perHost: ${perServer.join(' and ')}`);
  assert.equal(maxTotal, limits.connections);
  assert.equal(maxFilesInFlight(seen), limits.files);
});

test('a file waiting for a host at its cap does not hold back files on another host', async (t) => {
  const a = await server(t);
  const b = await server(t, '127.0.0.2');
  const dir = await tempDir(t);
  a.addFile('/slow.bin', { size: 768 * KiB, throttle: 1 * MiB });
  a.addFile('/next.bin', { size: 16 * KiB });
  const bPaths = [0, 1, 2].map((i) => `/b${i}.bin`);
  for (const path of bPaths) b.addFile(path, { size: 48 * KiB });
  const job = makeJob(
    dir,
    [
      { url: a.url('/slow.bin'), relPath: 'slow.bin', connections: 1 },
      { url: a.url('/next.bin'), relPath: 'next.bin' },
      ...bPaths.map((p) => ({ url: b.url(p), relPath: p.slice(1) })),
    ],
    { files: 3, connections: 4, perHost: 1 },
  );
  const { summary, timed } = await run(job);
  assert.equal(summary.done, 5, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => (rel.startsWith('b') ? b : a).file(`/${rel}`).sha256);

  const done = new Map(timed('file:done').map((e) => [e.path, e.at]));
  const started = new Map(timed('file:start').map((e) => [e.path, e.at]));
  const slowDone = done.get('slow.bin')!;
  for (const p of ['b0.bin', 'b1.bin', 'b2.bin']) {
    assert.ok(done.get(p)! < slowDone, `${p} done at ${done.get(p)} ms, after slow.bin on the other host (${slowDone} ms)`);
  }
  // next.bin comes first in job order among the waiting files, yet its host was busy: it started only once
  // slow.bin's one connection had ended (its slot, not its verification, is what held host A).
  const slowFreed = Math.max(...timed('range:done').filter((e) => e.path === 'slow.bin').map((e) => e.at));
  assert.ok(started.get('next.bin')! >= slowFreed, `next.bin started at ${started.get('next.bin')} ms, before slow.bin freed host A at ${slowFreed} ms`);
  assert.equal(a.stats.maxConcurrentRequests, 1);
  assert.equal(b.stats.maxConcurrentRequests, 1);
});

test('two files in flight share the slots: both start, then both are split up to their connections', async (t) => {
  const s = await server(t);
  const dir = await tempDir(t);
  for (const p of ['/one.bin', '/two.bin']) s.addFile(p, { size: 1 * MiB, throttle: 512 * KiB });
  const job = makeJob(
    dir,
    ['/one.bin', '/two.bin'].map((p) => ({ url: s.url(p), connections: 4, minSplitSize: 128 * KiB })),
    { files: 2, connections: 8, perHost: 8 },
  );
  const { summary } = await run(job);
  assert.equal(summary.done, 2, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => s.file(`/${rel}`).sha256);
  // With slots to spare the order of first requests at the server only shows which .part was created first (one.bin
  // is often split before two.bin's first request leaves): the contested case, where order matters, is the next test.
  const order = s.requests.map((r) => `${r.path} ${r.range}`);
  const splits = (p: string) => s.requests.filter((r) => r.path === p && r.range !== 'bytes=0-').length;
  assert.ok(splits('/one.bin') >= 3 && splits('/two.bin') >= 3, order.join(', '));
  assert.equal(s.stats.maxConcurrentRequests, 8);
});

test('files first, ranges second: a slot freed while a file could be split goes to the next file waiting', async (t) => {
  const s = await server(t);
  const dir = await tempDir(t);
  s.addFile('/a.bin', { size: 1 * MiB, throttle: 1 * MiB });
  s.addFile('/b.bin', { size: 16 * KiB });
  s.addFile('/c.bin', { size: 256 * KiB, throttle: 1 * MiB });
  // Two slots: a.bin and b.bin take them; when b.bin is done, a.bin is splittable and c.bin waits. c.bin wins.
  const job = makeJob(
    dir,
    ['/a.bin', '/b.bin', '/c.bin'].map((p) => ({ url: s.url(p), connections: 4, minSplitSize: 64 * KiB })),
    { files: 2, connections: 2, perHost: 2 },
  );
  const { summary } = await run(job);
  assert.equal(summary.done, 3, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => s.file(`/${rel}`).sha256);
  const order = s.requests.map((r) => `${r.path} ${r.range}`);
  const cFirst = s.requests.findIndex((r) => r.path === '/c.bin');
  const aSplit = s.requests.findIndex((r) => r.path === '/a.bin' && r.range !== 'bytes=0-');
  assert.ok(cFirst >= 0 && (aSplit === -1 || cFirst < aSplit), `c.bin first asked at #${cFirst}, a.bin split at #${aSplit}: ${order.join(', ')}`);
  assert.ok(s.stats.maxConcurrentRequests <= 2);
});

test('the last file in flight gets all of its connections once the others are done', async (t) => {
  const s = await server(t);
  const dir = await tempDir(t);
  s.addFile('/small.bin', { size: 24 * KiB });
  s.addFile('/big.bin', { size: 3 * MiB, throttle: 512 * KiB });
  const job = makeJob(
    dir,
    [
      { url: s.url('/small.bin'), connections: 4 },
      { url: s.url('/big.bin'), connections: 4, minSplitSize: 64 * KiB },
    ],
    { files: 2, connections: 8, perHost: 8 },
  );
  const { summary, timed } = await run(job);
  assert.equal(summary.done, 2, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => s.file(`/${rel}`).sha256);
  const smallDone = timed('file:done').find((e) => e.path === 'small.bin')!.at;
  const bigProgress = timed('file:progress').filter((e) => e.path === 'big.bin' && e.at > smallDone);
  const widths = bigProgress.map((e) => e.connections.length);
  assert.ok(widths.length > 0, 'no progress sample of big.bin');
  assert.equal(Math.max(...widths), 4, `connections of big.bin per sample: ${widths.join(' ')}`);
  const starts = new Set(s.requests.filter((r) => r.path === '/big.bin').map((r) => r.range));
  assert.ok(starts.size >= 4, `big.bin ranges: ${[...starts].join(' ')}`);
});

test('500 small files on one host reuse a handful of keep-alive connections', async (t) => {
  const s = await server(t);
  const dir = await tempDir(t);
  const paths = s.addFiles('/many', 500, (i) => ({ size: 4 * KiB + ((i * 7919) % (12 * KiB)) }));
  const perHost = 4;
  const job = makeJob(
    dir,
    paths.map((p) => ({ url: s.url(p), relPath: p.slice(1) })),
    { files: 8, connections: 16, perHost },
  );
  const { summary } = await run(job);
  assert.equal(summary.done, 500, JSON.stringify(summary.files.filter((f) => f.outcome !== 'downloaded').slice(0, 3)));
  await assertAllDownloaded(job, (rel) => s.file(`/${rel}`).sha256);
  assert.equal(s.requests.length, 500, 'one request per small file');
  t.diagnostic(`connections opened: ${s.stats.connectionsOpened}`);
  assert.ok(s.stats.connectionsOpened <= perHost + 2, `opened ${s.stats.connectionsOpened} connections for 500 files (perHost ${perHost})`);
  assert.ok(s.stats.maxConcurrentRequests <= perHost);
});

test('limits.rate caps the total rate across files and connections, and every file keeps moving', async (t) => {
  const s = await server(t);
  const dir = await tempDir(t);
  const rate = 2 * MiB;
  const size = 1536 * KiB;
  const paths = s.addFiles('/rated', 4, { size });
  const job = makeJob(
    dir,
    paths.map((p) => ({ url: s.url(p), relPath: p.slice(1), connections: 1 })),
    { files: 4, connections: 8, perHost: 8, rate },
  );
  const { summary, timed } = await run(job);
  assert.equal(summary.done, 4, JSON.stringify(summary.files));
  await assertAllDownloaded(job, (rel) => s.file(`/${rel}`).sha256);

  const total = 4 * size;
  // The bucket starts full: at most one burst (rate / 10 by default) goes out ahead of the rate.
  const burst = rate / 10;
  const elapsed = summary.elapsedMs / 1000;
  const average = total / elapsed;
  t.diagnostic(`average ${Math.round(average / KiB)} KiB/s over ${elapsed} s (cap ${rate / KiB} KiB/s)`);
  assert.ok(average <= rate * 1.05 + burst / elapsed, `average ${Math.round(average / KiB)} KiB/s over ${elapsed} s, cap ${rate / KiB} KiB/s`);
  assert.ok(average >= rate * 0.8, `average ${Math.round(average / KiB)} KiB/s over ${elapsed} s, cap ${rate / KiB} KiB/s: needlessly slow`);

  // No burst at any moment either: bytes received by each sample stay under one burst plus the rate so far.
  const samples = timed('file:progress');
  const received = new Map<string, number>();
  const moved = new Map<string, number[]>();
  for (const e of samples) {
    // One connection per file, one request: its position is the bytes received for that file.
    const position = e.connections[0]?.position ?? e.transferred;
    const before = received.get(e.path);
    if (before !== undefined && before < size) (moved.get(e.path) ?? moved.set(e.path, []).get(e.path)!).push(position - before);
    received.set(e.path, position);
    const sum = [...received.values()].reduce((x, y) => x + y, 0);
    assert.ok(sum <= burst + (rate * 1.05 * e.at) / 1000 + 64 * KiB, `${sum} bytes received after ${Math.round(e.at)} ms at ${rate} B/s`);
  }
  // Starvation: between two samples (half a second) every unfinished file advanced by a fair part of its share.
  const fairStep = rate / 4 / 2;
  for (const p of paths) {
    const steps = moved.get(p.slice(1)) ?? [];
    assert.ok(steps.length >= 2, `${p}: only ${steps.length} progress steps`);
    const slowest = Math.min(...steps.slice(0, -1));
    t.diagnostic(`${p}: advanced ${steps.map((n) => Math.round(n / KiB)).join(' ')} KiB per half second`);
    assert.ok(slowest >= fairStep / 4, `${p} advanced by only ${slowest} bytes in one interval (fair share ${fairStep}): ${steps.join(' ')}`);
  }
  const elapsedPerFile = timed('file:done').map((e) => e.elapsedMs);
  assert.ok(Math.min(...elapsedPerFile) >= 0.7 * Math.max(...elapsedPerFile), `per-file times ${elapsedPerFile.join(' ')} ms: unfair`);
});
