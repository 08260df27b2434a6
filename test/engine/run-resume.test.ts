/**
 * The job-level scheduler when files fail or the run is stopped: a failed file gives its slots back and the others
 * go on; failFast stops the run; an abort saves every file in flight and a rerun continues them all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile,readdir } from 'node:fs/promises';
import { EngineEmitter } from '../../src/engine/events.js';
import { type RecordedRequest } from '../helpers/fixture-server.js';
import { makeJob } from '../helpers/job.js';
import { sha256,KiB,MiB,fixture,run } from '../helpers/engine.js';




const outcomes = (summary: { files: ReadonlyArray<{ path: string; outcome: string }> }) =>
  Object.fromEntries(summary.files.map((f) => [f.path, f.outcome]));

/** Bytes asked for by a `bytes=a-b` request; the rest of the file for `bytes=a-`; all of it without Range. */
function askedBytes(r: RecordedRequest, size: number): number {
  const m = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? '');
  if (!m) return size;
  return (m[2] === '' ? size - 1 : Number(m[2])) - Number(m[1]) + 1;
}

test('a file that fails (404) does not stop the others, and gives its slot back', async (t) => {
  const { server, dir } = await fixture(t);
  for (const p of ['/a.bin', '/b.bin', '/c.bin']) server.addFile(p, { size: 100 * KiB });
  // One slot in all: the files after the failed one can only run if its slot came back.
  const job = makeJob(
    dir,
    ['/a.bin', '/missing.bin', '/b.bin', '/c.bin'].map((p) => ({ url: server.url(p) })),
    { files: 1, connections: 1, perHost: 1 },
  );
  const { summary, of } = await run(job);
  assert.equal(summary.failed, 1, JSON.stringify(summary.files));
  assert.equal(summary.done, 3);
  assert.equal(summary.stopped, undefined);
  assert.deepEqual(outcomes(summary), { 'a.bin': 'downloaded', 'missing.bin': 'failed', 'b.bin': 'downloaded', 'c.bin': 'downloaded' });
  assert.equal(summary.files[1]?.error?.code, 'E_HTTP_STATUS');
  assert.equal(of('file:failed').length, 1);
  for (const p of ['a.bin', 'b.bin', 'c.bin']) assert.equal(sha256(await readFile(`${dir}/${p}`)), server.file(`/${p}`).sha256);
  assert.deepEqual((await readdir(dir)).sort(), ['a.bin', 'b.bin', 'c.bin']);
  // A 404 is final: asked once, never retried.
  assert.equal(server.stats.requestsByPath['/missing.bin'], 1);
});

test('with failFast the run stops at the first failure: files in flight are interrupted, queued ones never start', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/slow.bin', { size: 2 * MiB, throttle: 256 * KiB });
  // Cut off after 128 KiB, no retries: it fails once slow.bin has bytes worth keeping.
  server.addFile('/broken.bin', { size: 1 * MiB, throttle: 256 * KiB, faults: [{ type: 'reset', afterBytes: 128 * KiB }] });
  for (const p of ['/q1.bin', '/q2.bin']) server.addFile(p, { size: 100 * KiB });
  // Two slots for three files in flight: when broken.bin gives its slot back, q1.bin could take it — it must not,
  // the run is over.
  const job = makeJob(
    dir,
    ['/slow.bin', '/broken.bin', '/q1.bin', '/q2.bin'].map((p) => ({ url: server.url(p), connections: 1, retries: 0 })),
    { files: 3, connections: 2, perHost: 2 },
  );
  const { summary, of } = await run(job, { failFast: true });
  assert.equal(summary.failed, 1, JSON.stringify(summary.files));
  assert.equal(summary.stopped, 'abort');
  assert.deepEqual(outcomes(summary), { 'slow.bin': 'interrupted', 'broken.bin': 'failed', 'q1.bin': 'interrupted', 'q2.bin': 'interrupted' });
  assert.equal(summary.files[1]?.error?.code, 'E_NETWORK');
  assert.deepEqual(Object.keys(server.stats.requestsByPath).sort(), ['/broken.bin', '/slow.bin']);
  // Not even started on our side (a file started after the failure would only lose the race to the stop).
  const touched = new Set([...of('range:start'), ...of('file:start'), ...of('file:interrupted')].map((e) => e.path));
  assert.deepEqual([...touched].sort(), ['broken.bin', 'slow.bin']);
  const slow = summary.files[0]!;
  assert.ok(slow.completedBytes > 0 && slow.completedBytes < 2 * MiB, `slow.bin held ${slow.completedBytes} bytes`);
  // Both files in flight are kept for a rerun (a cut-off connection is a resumable failure).
  assert.deepEqual((await readdir(dir)).sort(), ['broken.bin.part', 'broken.bin.pdl', 'slow.bin.part', 'slow.bin.pdl']);
});

test('an abort saves every file in flight, and the rerun resumes them all asking only for missing bytes', async (t) => {
  const { server, dir } = await fixture(t);
  const size = 2 * MiB;
  const paths = ['/r0.bin', '/r1.bin', '/r2.bin'];
  for (const p of paths) server.addFile(p, { size, throttle: 512 * KiB });
  const job = makeJob(
    dir,
    paths.map((p) => ({ url: server.url(p), connections: 2 })),
    { files: 3, connections: 6, perHost: 6 },
  );

  const controller = new AbortController();
  const events = new EngineEmitter();
  const received = new Map<string, number>();
  events.on('file:progress', (e) => {
    // Written bytes plus what each connection holds but has not written yet (a lower bound is all we need).
    received.set(e.path, Math.max(e.transferred, ...e.connections.map((c) => c.position - c.start)));
    const all = [...received.values()].reduce((x, y) => x + y, 0);
    if (received.size === paths.length && all >= 0.4 * paths.length * size) controller.abort();
  });
  const first = await run(job, { signal: controller.signal }, events);
  assert.ok(controller.signal.aborted, 'the abort never fired');
  assert.equal(first.summary.stopped, 'abort');
  assert.equal(first.summary.interrupted, 3, JSON.stringify(first.summary.files));
  assert.equal(first.of('file:interrupted').length, 3);
  assert.deepEqual(
    (await readdir(dir)).sort(),
    paths.flatMap((p) => [`${p.slice(1)}.part`, `${p.slice(1)}.pdl`]),
  );
  const held = first.summary.files.map((f) => f.completedBytes);
  for (const [i, bytes] of held.entries()) assert.ok(bytes > 0 && bytes < size, `${paths[i]} held ${bytes} bytes`);

  server.reset();
  for (const p of paths) server.mutate(p, { throttle: undefined });
  const second = await run(job);
  assert.equal(second.summary.done, 3, JSON.stringify(second.summary.files));
  assert.deepEqual(outcomes(second.summary), { 'r0.bin': 'resumed', 'r1.bin': 'resumed', 'r2.bin': 'resumed' });
  assert.deepEqual(
    second.of('file:start').map((e) => [e.path, e.resumedBytes]).sort(),
    first.summary.files.map((f) => [f.path, f.completedBytes]).sort(),
  );
  for (const p of paths) assert.equal(sha256(await readFile(`${dir}${p}`)), server.file(p).sha256);
  assert.deepEqual((await readdir(dir)).sort(), ['r0.bin', 'r1.bin', 'r2.bin']);
  // Only the missing bytes were asked for, each file with its validator.
  for (const [i, p] of paths.entries()) {
    const requests = server.requests.filter((r) => r.path === p);
    const asked = requests.reduce((sum, r) => sum + askedBytes(r, size), 0);
    assert.ok(requests.length > 0);
    assert.equal(asked, size - held[i]!, `${p}: asked for ${asked} bytes, missing ${size - held[i]!}`);
    for (const r of requests) assert.equal(r.ifRange, server.file(p).etag, `${p} ${r.range}`);
  }
});

test('file:progress of a resumed file: transferred counts only this run\'s network bytes, completedBytes the bytes on disk', async (t) => {
  const { server, dir } = await fixture(t);
  const size = 1 * MiB;
  server.addFile('/p.bin', { size, throttle: 256 * KiB });
  const job = makeJob(dir, [{ url: server.url('/p.bin'), connections: 1 }], { files: 1, connections: 1, perHost: 1 });

  const controller = new AbortController();
  const first = new EngineEmitter();
  first.on('file:progress', (e) => {
    if (e.connections.some((c) => c.position - c.start >= 256 * KiB)) controller.abort();
  });
  const stopped = await run(job, { signal: controller.signal }, first);
  const held = stopped.summary.files[0]!.completedBytes;
  assert.ok(held > 0 && held < size, `held ${held} bytes`);

  const second = await run(job);
  assert.equal(second.summary.files[0]?.outcome, 'resumed');
  const progress = second.of('file:progress');
  assert.ok(progress.length > 0, 'no progress while resuming');
  for (const e of progress) {
    assert.ok(e.completedBytes >= held, `completedBytes ${e.completedBytes} below the ${held} bytes kept`);
    assert.ok(e.transferred <= size - held, `transferred ${e.transferred} counts bytes that were already on disk (${held})`);
  }
  // Half a second in at 256 KiB/s, this run has fetched less than what was already kept.
  assert.ok(progress[0]!.transferred < held, `first progress: transferred ${progress[0]!.transferred}, ${held} bytes were kept`);
});
