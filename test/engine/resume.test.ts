/** Stopping and resuming, and a file that changes on the server while pdl holds bytes of it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile,readdir,stat,truncate,writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineEmitter } from '../../src/engine/events.js';
import type { ResolvedJob } from '../../src/job/resolved.js';
import { type FixtureServer,type RecordedRequest } from '../helpers/fixture-server.js';
import { makeJob } from '../helpers/job.js';
import { KiB,MiB,fixture,run,assertDownloaded } from '../helpers/engine.js';





/** Bytes asked for by a `bytes=a-b` request; undefined for open-ended or plain requests. */
function rangeLength(r: RecordedRequest): number | undefined {
  const m = /^bytes=(\d+)-(\d+)$/.exec(r.range ?? '');
  return m ? Number(m[2]) - Number(m[1]) + 1 : undefined;
}

/**
 * Runs `job` and aborts it through `signal` once the bytes received reach `fraction` of `size` (read from the
 * connections in file:progress events); returns the summary of that interrupted run.
 */
async function runAndAbortAt(job: ResolvedJob, size: number, fraction: number) {
  const controller = new AbortController();
  const events = new EngineEmitter();
  let peak = 0;
  events.on('file:progress', (e) => {
    const received = e.transferred + e.connections.reduce((sum, c) => sum + (c.position - c.start), 0);
    peak = Math.max(peak, received);
    if (received >= fraction * size) controller.abort();
  });
  const result = await run(job, { signal: controller.signal }, events);
  return { ...result, aborted: controller.signal.aborted, peak };
}

interface ControlFile {
  size: number;
  etag: string | null;
  done: Array<{ start: number; end: number }>;
}

async function readControl(path: string): Promise<ControlFile> {
  return JSON.parse(await readFile(path, 'utf8')) as ControlFile;
}

/** A 3 MiB file fetched by 2 connections at 512 KiB/s each (~3 s if left alone). */
function slowFile(server: FixtureServer, path: string): string {
  server.addFile(path, { size: 3 * MiB, throttle: 512 * KiB });
  return server.url(path);
}

test('an aborted download keeps .part + .pdl, and the rerun fetches only the missing bytes', async (t) => {
  const { server, dir } = await fixture(t);
  const url = slowFile(server, '/resume.bin');
  // With a checksum, the resumed bytes are hashed from disk along with the new ones.
  const checksum = { algorithm: 'sha256' as const, hex: server.file('/resume.bin').sha256 };
  const job = makeJob(dir, [{ url, connections: 2, checksum }]);
  const first = await runAndAbortAt(job, 3 * MiB, 0.4);
  assert.ok(first.aborted, 'the abort never fired');
  assert.equal(first.summary.interrupted, 1, JSON.stringify(first.summary.files));
  assert.equal(first.summary.stopped, 'abort');
  assert.equal(first.summary.files[0]?.outcome, 'interrupted');
  assert.deepEqual((await readdir(dir)).sort(), ['resume.bin.part', 'resume.bin.pdl']);
  const control = await readControl(join(dir, 'resume.bin.pdl'));
  const held = control.done.reduce((sum, iv) => sum + iv.end - iv.start, 0);
  assert.equal(control.size, 3 * MiB);
  assert.equal(control.etag, server.file('/resume.bin').etag);
  assert.ok(held > 0 && held < 3 * MiB, `control file claims ${held} bytes`);
  // What the control file claims is really there.
  const part = await readFile(join(dir, 'resume.bin.part'));
  for (const iv of control.done) assert.ok(part.subarray(iv.start, iv.end).equals(server.file('/resume.bin').bytes(iv.start, iv.end - iv.start)));

  server.reset();
  server.mutate('/resume.bin', { throttle: undefined });
  const second = await run(job);
  assert.equal(second.summary.done, 1, JSON.stringify(second.summary.files));
  assert.equal(second.summary.files[0]?.outcome, 'resumed');
  await assertDownloaded(dir, 'resume.bin', server.file('/resume.bin').sha256);
  assert.equal(second.of('file:start')[0]?.resumedBytes, held);
  assert.equal(second.of('file:verified').length, 1);
  const etag = server.file('/resume.bin').etag;
  const asked = server.requests.map(rangeLength);
  assert.ok(asked.every((n) => n !== undefined), `open-ended or plain request in the rerun: ${server.requests.map((r) => r.range).join(' ')}`);
  const total = asked.reduce<number>((sum, n) => sum + (n ?? 0), 0);
  assert.ok(total < 3 * MiB, `rerun asked for ${total} bytes of ${3 * MiB}`);
  // No byte the control file claimed was asked for again.
  for (const r of server.requests) {
    const [a, b] = (r.range ?? '').slice('bytes='.length).split('-').map(Number) as [number, number];
    for (const iv of control.done) assert.ok(b < iv.start || a >= iv.end, `${r.range} overlaps held [${iv.start}, ${iv.end})`);
  }
  for (const r of server.requests) assert.equal(r.ifRange, etag, `If-Range on ${r.range}`);
});

test('a resumed file that changed on the server meanwhile is discarded and fetched anew', async (t) => {
  const { server, dir } = await fixture(t);
  const url = slowFile(server, '/moving.bin');
  const job = makeJob(dir, [{ url, connections: 2 }]);
  const first = await runAndAbortAt(job, 3 * MiB, 0.3);
  assert.equal(first.summary.interrupted, 1);
  const oldSha = server.file('/moving.bin').sha256;

  server.reset();
  server.mutate('/moving.bin', { throttle: undefined, version: 2 });
  const second = await run(job);
  assert.equal(second.summary.done, 1, JSON.stringify(second.summary.files));
  await assertDownloaded(dir, 'moving.bin', server.file('/moving.bin').sha256);
  assert.notEqual(server.file('/moving.bin').sha256, oldSha);
  // The old validator was sent, refused (200), and the file started over with bytes=0-.
  assert.equal(server.requests[0]?.ifRange, '"/moving.bin-v1"');
  assert.equal(server.requests[0]?.status, 200);
  assert.ok(server.requests.some((r) => r.range === 'bytes=0-' && r.ifRange === undefined));
  assert.match(second.of('file:retry')[0]?.reason ?? '', /changed/);
});

test('a .part without a control file is not trusted: it is replaced by a full download', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/orphan.bin', { size: 200 * KiB });
  // Wrong bytes where a resume would keep them.
  await writeFile(join(dir, 'orphan.bin.part'), Buffer.alloc(100 * KiB, 0x41));
  const { summary } = await run(makeJob(dir, [{ url: server.url('/orphan.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'orphan.bin', server.file('/orphan.bin').sha256);
  assert.equal(server.requests[0]?.range, 'bytes=0-');
});

test('a control file for another URL is not trusted either', async (t) => {
  const { server, dir } = await fixture(t);
  const url = slowFile(server, '/a.bin');
  const first = await runAndAbortAt(makeJob(dir, [{ url, connections: 2, relPath: 'out.bin' }]), 3 * MiB, 0.3);
  assert.equal(first.summary.interrupted, 1);
  server.addFile('/b.bin', { size: 100 * KiB });
  server.reset();
  const { summary } = await run(makeJob(dir, [{ url: server.url('/b.bin'), relPath: 'out.bin' }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'out.bin', server.file('/b.bin').sha256);
  assert.equal((await stat(join(dir, 'out.bin'))).size, 100 * KiB);
});

test('content and ETag changing between requests restart the file once; the result is all new version', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/changes.bin', {
    size: 1 * MiB,
    throttle: 1 * MiB,
    faults: [{ type: 'change-version', rangeStart: 'nonzero', attempts: [1] }],
  });
  const v1 = server.file('/changes.bin').sha256;
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/changes.bin'), connections: 2, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(server.file('/changes.bin').version, 2);
  await assertDownloaded(dir, 'changes.bin', server.file('/changes.bin').sha256);
  assert.notEqual(server.file('/changes.bin').sha256, v1);
  assert.equal(of('file:retry').length, 1);
  assert.match(of('file:retry')[0]?.reason ?? '', /changed/);
  // After the restart every range request carried the new validator.
  const restart = server.requests.findIndex((r, i) => i > 0 && r.range === 'bytes=0-' && r.ifRange === undefined);
  assert.ok(restart > 0);
  for (const r of server.requests.slice(restart + 1)) assert.equal(r.ifRange, '"/changes.bin-v2"');
});

test('a file that changes again after the restart fails with E_REMOTE_CHANGED and leaves nothing behind', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/flaky.bin', {
    size: 1 * MiB,
    throttle: 1 * MiB,
    faults: [{ type: 'change-version', rangeStart: 'nonzero', attempts: [1, 2] }],
  });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/flaky.bin'), connections: 2, minSplitSize: 64 * KiB }]));
  assert.equal(summary.failed, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.error?.code, 'E_REMOTE_CHANGED');
  assert.equal(summary.files[0]?.error?.kind, 'integrity');
  assert.equal(server.file('/flaky.bin').version, 3);
  assert.deepEqual(await readdir(dir), []);
});

test('a size change seen on a range answer (206 with another total) restarts the file', async (t) => {
  const { server, dir } = await fixture(t);
  // A fixed ETag survives the version change: only the total size in Content-Range reveals it.
  server.addFile('/grows.bin', { size: 1 * MiB, throttle: 1 * MiB, etag: '"fixed"', lastModified: false });
  const job = makeJob(dir, [{ url: server.url('/grows.bin'), connections: 2, minSplitSize: 64 * KiB }]);
  const events = new EngineEmitter();
  let grown = false;
  events.on('range:start', (e) => {
    if (!grown && e.start > 0) {
      grown = true;
      server.mutate('/grows.bin', { size: 1 * MiB + 5000, version: 2 });
    }
  });
  const { summary, of } = await run(job, {}, events);
  assert.ok(grown);
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.size, 1 * MiB + 5000);
  await assertDownloaded(dir, 'grows.bin', server.file('/grows.bin').sha256);
  assert.match(of('file:retry')[0]?.reason ?? '', /changed/);
});

test('a .part shorter than its control file claims (crash before preallocation) resumes only what is really there', async (t) => {
  const { server, dir } = await fixture(t);
  const url = slowFile(server, '/cut.bin');
  const job = makeJob(dir, [{ url, connections: 2 }]);
  const first = await runAndAbortAt(job, 3 * MiB, 0.4);
  assert.equal(first.summary.interrupted, 1);
  const control = await readControl(join(dir, 'cut.bin.pdl'));
  const firstHeld = control.done[0];
  assert.ok(firstHeld && firstHeld.end > 2, JSON.stringify(control.done));
  // Keep only half of the first held interval on disk.
  const keep = Math.floor((firstHeld.start + firstHeld.end) / 2);
  await truncate(join(dir, 'cut.bin.part'), keep);

  server.reset();
  server.mutate('/cut.bin', { throttle: undefined });
  const second = await run(job);
  assert.equal(second.summary.done, 1, JSON.stringify(second.summary.files));
  await assertDownloaded(dir, 'cut.bin', server.file('/cut.bin').sha256);
  assert.equal(second.of('file:start')[0]?.resumedBytes, keep - firstHeld.start);
});

test('a resume after the file shrank below the missing ranges (416) starts over', async (t) => {
  const { server, dir } = await fixture(t);
  // No validator changes with the content: only the size tells.
  server.addFile('/shrinks.bin', { size: 3 * MiB, throttle: 512 * KiB, etag: '"same"', lastModified: false });
  const job = makeJob(dir, [{ url: server.url('/shrinks.bin'), connections: 2 }]);
  const first = await runAndAbortAt(job, 3 * MiB, 0.3);
  assert.equal(first.summary.interrupted, 1);
  const control = await readControl(join(dir, 'shrinks.bin.pdl'));
  const firstHole = control.done[0]?.start === 0 ? control.done[0].end : 0;
  assert.ok(firstHole > 1000, JSON.stringify(control.done));

  server.reset();
  server.mutate('/shrinks.bin', { size: 1000, throttle: undefined, version: 2 });
  const second = await run(job);
  assert.equal(second.summary.done, 1, JSON.stringify(second.summary.files));
  assert.equal(second.summary.files[0]?.size, 1000);
  await assertDownloaded(dir, 'shrinks.bin', server.file('/shrinks.bin').sha256);
  assert.equal(server.requests[0]?.status, 416);
  assert.match(second.of('file:retry')[0]?.reason ?? '', /changed/);
});

test('a failed download keeps .part + .pdl when it can be resumed, and the rerun continues it', async (t) => {
  const { server, dir } = await fixture(t);
  const N = 300 * KiB;
  server.addFile('/cutoff.bin', { size: 1 * MiB, faults: [{ type: 'reset', afterBytes: N }] });
  const job = makeJob(dir, [{ url: server.url('/cutoff.bin'), connections: 1, retries: 0 }]);
  const first = await run(job);
  assert.equal(first.summary.files[0]?.error?.code, 'E_NETWORK');
  assert.deepEqual((await readdir(dir)).sort(), ['cutoff.bin.part', 'cutoff.bin.pdl']);
  assert.deepEqual((await readControl(join(dir, 'cutoff.bin.pdl'))).done, [{ start: 0, end: N }]);

  server.reset();
  server.mutate('/cutoff.bin', { faults: [] });
  const second = await run(job);
  assert.equal(second.summary.files[0]?.outcome, 'resumed', JSON.stringify(second.summary.files));
  await assertDownloaded(dir, 'cutoff.bin', server.file('/cutoff.bin').sha256);
  assert.deepEqual(
    server.requests.map((r) => [r.range, r.ifRange]),
    [[`bytes=${N}-${MiB - 1}`, server.file('/cutoff.bin').etag]],
  );
});

test('a stopped download that cannot be resumed (no ranges) leaves no .part behind', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/stream.bin', { size: 2 * MiB, acceptRanges: false, throttle: 1 * MiB });
  const first = await runAndAbortAt(makeJob(dir, [{ url: server.url('/stream.bin') }]), 2 * MiB, 0.2);
  assert.ok(first.aborted);
  assert.equal(first.summary.files[0]?.outcome, 'interrupted');
  assert.deepEqual(await readdir(dir), []);
});
