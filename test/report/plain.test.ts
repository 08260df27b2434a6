import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEmitter, type RunSummary } from '../../src/engine/events.js';
import { createReporter } from '../../src/report/index.js';
import type { ReporterOptions } from '../../src/report/reporter.js';
import { capture } from './synthetic-run.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ref = (index: number, path: string) => ({ index, path, url: `http://127.0.0.1/${path}` });
const emptySummary: RunSummary = {
  files: [], done: 1, skipped: 1, unchanged: 0, failed: 1, interrupted: 0, transferred: 12 * MiB, elapsedMs: 3000, speed: 4 * MiB,
  stopped: undefined,
};

async function plain(extra: Partial<ReporterOptions> = {}) {
  const clock = { t: 0 };
  const out = capture();
  const err = capture();
  const reporter = await createReporter('plain', {
    out: out.stream, err: err.stream, quiet: false, verbose: false, timestamps: false, now: () => clock.t, ...extra,
  });
  const events = new EngineEmitter();
  reporter.attach(events);
  return { clock, out, err, reporter, events };
}

function emitFileLifecycle(events: EngineEmitter, clock: { t: number }): void {
  events.emit('run:start', { files: 50, totalBytes: 3.4 * GiB, startedAt: 0 });
  events.emit('file:queued', { ...ref(0, 'a.bin'), priority: 0 });
  events.emit('file:start', { ...ref(0, 'a.bin'), size: 12 * MiB, resumedBytes: 0, ranges: true });
  events.emit('range:start', { ...ref(0, 'a.bin'), connection: 3, start: 0, end: 4 * MiB });
  events.emit('file:progress', { ...ref(0, 'a.bin'), transferred: MiB, completedBytes: MiB, total: 12 * MiB, speed: MiB, connections: [] });
  events.emit('file:retry', { ...ref(0, 'a.bin'), attempt: 2, delayMs: 1200, reason: 'ECONNRESET' });
  events.emit('range:done', { ...ref(0, 'a.bin'), connection: 3, start: 0, end: 4 * MiB });
  clock.t = 3000;
  events.emit('file:done', { ...ref(0, 'a.bin'), outcome: 'downloaded', size: 12 * MiB, transferred: 12 * MiB, elapsedMs: 3000, sha256: undefined });
  events.emit('file:start', { ...ref(1, 'd.bin'), size: 12 * MiB, resumedBytes: 8 * MiB, ranges: true });
  events.emit('file:done', { ...ref(1, 'd.bin'), outcome: 'resumed', size: 12 * MiB, transferred: 4 * MiB, elapsedMs: 2000, sha256: undefined });
  events.emit('file:done', { ...ref(2, 'c.bin'), outcome: 'skipped', size: MiB, transferred: 0, elapsedMs: 1, sha256: undefined, reason: 'already complete' });
  const error = { code: 'E_HTTP_STATUS', kind: 'protocol', message: 'HTTP 500 \x1b[31mboom\x1b[0m\nsecond line' };
  events.emit('file:failed', { ...ref(3, 'b.bin'), error, transferred: 0, elapsedMs: 5, stoppedAt: 'probe' });
  events.emit('file:interrupted', { ...ref(4, 'e.bin'), transferred: MiB, completedBytes: 2 * MiB, size: 8 * MiB });
}

test('plain prints one line per start, finish, retry and failure on err, the summary on out, and no ANSI ever', async () => {
  const { clock, out, err, reporter, events } = await plain();
  emitFileLifecycle(events, clock);
  await reporter.end(emptySummary);
  assert.deepEqual(err.lines(), [
    'run    50 files, 3.4 GiB',
    'start  a.bin (12.0 MiB) from http://127.0.0.1/a.bin',
    'retry  a.bin: ECONNRESET (attempt 2, waiting 1.2s)',
    'done   a.bin  12.0 MiB in 3.0s (4.0 MiB/s)',
    'start  d.bin (12.0 MiB, resuming at 8.0 MiB) from http://127.0.0.1/d.bin',
    'done   d.bin  12.0 MiB in 2.0s (2.0 MiB/s, resumed, 4.0 MiB fetched)',
    'done   c.bin  1.0 MiB skipped (already complete)',
    'FAILED b.bin: HTTP 500 ?[31mboom?[0m second line [http://127.0.0.1/b.bin, stopped at probe]',
    'stop   e.bin at 2.0 MiB of 8.0 MiB',
  ]);
  assert.deepEqual(out.lines(), ['1 done, 1 skipped, 1 failed, 12.0 MiB in 3.0s (4.0 MiB/s)'], 'the result alone on out');
  assert.ok(!out.text().includes('\x1b') && !err.text().includes('\x1b'), 'no escape sequences');
});

test('plain prints the overall progress line at most every 10 s, driven by run:progress', async () => {
  const { clock, err, events } = await plain();
  const progress = { filesDone: 3, filesFailed: 0, filesTotal: 50, transferred: 1.2 * GiB, totalBytes: 1.2 * GiB + 2250 * MiB, speed: 45 * MiB, active: 4 };
  for (const t of [250, 1000, 5000, 9999, 10_000, 15_000, 19_999, 20_000, 20_250]) {
    clock.t = t;
    events.emit('run:progress', { ...progress, filesFailed: t >= 20_000 ? 1 : 0 });
  }
  assert.deepEqual(err.lines(), [
    'progress 3/50 files, 1.2 GiB of 3.4 GiB, 45.0 MiB/s, ETA 50s',
    'progress 3/50 files, 1 failed, 1.2 GiB of 3.4 GiB, 45.0 MiB/s, ETA 50s',
  ]);
});

test('plain under verbose adds range, queue and checksum lines', async () => {
  const { clock, err, events } = await plain({ verbose: true });
  emitFileLifecycle(events, clock);
  events.emit('range:retry', { ...ref(0, 'a.bin'), connection: 2, start: 4 * MiB, end: 8 * MiB, attempt: 3, delayMs: 500, reason: 'timeout' });
  events.emit('file:verified', { ...ref(0, 'a.bin'), algorithm: 'sha256', hex: 'ab'.repeat(32) });
  const lines = err.lines();
  assert.ok(lines.includes('queued a.bin (priority 0)'));
  assert.ok(lines.includes('range  a.bin #3 0.0–4.0 MiB started'));
  assert.ok(lines.includes('range  a.bin #3 0.0–4.0 MiB done'));
  assert.ok(lines.includes('retry  a.bin #2 4.0–8.0 MiB: timeout (attempt 3, waiting 500ms)'));
  assert.ok(lines.includes(`ok     a.bin sha256 ${'ab'.repeat(32)}`));
  assert.ok(lines.some((line) => line.startsWith('FAILED b.bin: HTTP 500') && line.endsWith('[E_HTTP_STATUS, http://127.0.0.1/b.bin, stopped at probe]')));
});

test('plain under quiet prints only failures and the summary', async () => {
  const { clock, out, err, reporter, events } = await plain({ quiet: true });
  emitFileLifecycle(events, clock);
  clock.t = 60_000;
  events.emit('run:progress', { filesDone: 1, filesFailed: 1, filesTotal: 5, transferred: 1, totalBytes: 2, speed: 1, active: 1 });
  await reporter.end(emptySummary);
  assert.equal(err.lines().length, 1);
  assert.match(err.lines()[0] ?? '', /^FAILED b\.bin: /);
  assert.deepEqual(out.lines().length, 1);
  assert.match(out.lines()[0] ?? '', /^1 done, 1 skipped, 1 failed/);
});

test('plain timestamps every line with the injected clock', async () => {
  const { clock, out, err, reporter, events } = await plain({ timestamps: true });
  clock.t = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  events.emit('file:start', { ...ref(0, 'a.bin'), size: undefined, resumedBytes: 0, ranges: false });
  await reporter.end(emptySummary);
  assert.match(err.lines()[0] ?? '', /^2025-01-02T03:04:05\.678Z start  a\.bin \(size unknown, one connection/);
  assert.deepEqual(out.lines(), ['2025-01-02T03:04:05.678Z 1 done, 1 skipped, 1 failed, 12.0 MiB in 3.0s (4.0 MiB/s)']);
});

test('plain survives odd event orders and malformed events, and stops listening at end', async () => {
  const { out, err, reporter, events } = await plain();
  assert.doesNotThrow(() => {
    events.emit('file:done', { ...ref(9, 'never-started.bin'), outcome: 'downloaded', size: 1, transferred: 1, elapsedMs: 0, sha256: undefined });
    events.emit('range:done', { ...ref(9, 'never-started.bin'), connection: 1, start: 0, end: 1 });
    events.emit('file:failed', { ...ref(8, 'x.bin') } as never);
  });
  assert.deepEqual(err.lines(), ['done   never-started.bin  1 B in 0ms']);
  await reporter.end(emptySummary);
  await reporter.end(emptySummary);
  events.emit('file:start', { ...ref(0, 'late.bin'), size: 1, resumedBytes: 0, ranges: false });
  assert.equal(out.lines().length, 1, 'one summary');
  assert.equal(err.lines().length, 1, 'nothing after end');
  assert.equal(events.listenerCount('file:start'), 0);
});

test('ifExists: newer outcomes print as "unchanged path" and "repaired path"; run notes as "note"', async () => {
  const { out, err, reporter, events } = await plain();
  events.emit('run:note', { message: 'ignored /d/.pdl-state.json: not valid JSON' });
  events.emit('file:done', { ...ref(0, 'same.bin'), outcome: 'unchanged', size: MiB, transferred: 0, elapsedMs: 5, sha256: undefined, reason: 'not modified on the server' });
  events.emit('file:done', { ...ref(1, 'fixed.bin'), outcome: 'repaired', size: MiB, transferred: MiB, elapsedMs: 1000, sha256: undefined });
  await reporter.end({ ...emptySummary, done: 1, skipped: 0, failed: 0, unchanged: 1 });
  const lines = [...err.lines(), ...out.lines()];
  assert.ok(lines.includes('note   ignored /d/.pdl-state.json: not valid JSON'), lines.join("\n"));
  assert.ok(lines.includes('unchanged same.bin  1.0 MiB (not modified on the server)'), lines.join("\n"));
  assert.ok(lines.some((line) => line.startsWith('repaired fixed.bin  1.0 MiB in ')), lines.join("\n"));
  assert.ok(lines.some((line) => line.startsWith('1 done, 1 unchanged, 0 skipped, 0 failed')), lines.join("\n"));
});
