import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEmitter } from '../../src/engine/events.js';
import { createReporter } from '../../src/report/index.js';
import type { ReporterOptions } from '../../src/report/reporter.js';
import { capture, FAILED, FILES, feedSyntheticRun } from './synthetic-run.js';

const ref = (index: number) => ({ index, path: `f${index}.bin`, url: `http://127.0.0.1/${index}` });

async function json(extra: Partial<ReporterOptions> = {}) {
  const clock = { t: Date.UTC(2025, 0, 1) };
  const out = capture();
  const err = capture();
  const reporter = await createReporter('json', {
    out: out.stream, err: err.stream, quiet: false, verbose: false, timestamps: false, now: () => clock.t, ...extra,
  });
  const events = new EngineEmitter();
  reporter.attach(events);
  // Lines are written once per event-loop turn: let that turn pass before reading them.
  const parsed = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return out.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { clock, out, err, reporter, events, parsed };
}

test('json writes one parseable object per event with its fields and an ISO time', async () => {
  const { events, parsed, err } = await json();
  events.emit('run:start', { files: 2, totalBytes: undefined, startedAt: Date.UTC(2025, 0, 1) });
  events.emit('file:start', { ...ref(0), size: undefined, resumedBytes: 0, ranges: false });
  events.emit('file:done', { ...ref(0), outcome: 'downloaded', size: 10, transferred: 10, elapsedMs: 5, sha256: 'ab' });
  const error = { code: 'E_HTTP_STATUS', kind: 'protocol', message: 'HTTP 404 "quoted"\n\x1b[31m' };
  events.emit('file:failed', { ...ref(1), error, transferred: 0, elapsedMs: 1, stoppedAt: '0 of 20 bytes', completedBytes: 0, size: 20 });
  const time = '2025-01-01T00:00:00.000Z';
  assert.deepEqual(await parsed(), [
    { event: 'run:start', files: 2, totalBytes: null, startedAt: time, time },
    { event: 'file:start', ...ref(0), size: null, resumedBytes: 0, ranges: false, time },
    { event: 'file:done', ...ref(0), status: 'downloaded', size: 10, transferred: 10, elapsedMs: 5, sha256: 'ab', time },
    { event: 'file:failed', ...ref(1), error, transferred: 0, elapsedMs: 1, completedBytes: 0, size: 20, time },
  ]);
  assert.equal(err.text(), '');
});

test('json speaks of ranges, not connections, for range workers; an unknown end is null, never -1', async () => {
  const { events, parsed } = await json();
  events.emit('range:start', { ...ref(0), connection: 7, start: 0, end: -1 });
  events.emit('range:retry', { ...ref(0), connection: 7, start: 100, end: 200, attempt: 2, delayMs: 10, reason: 'reset' });
  events.emit('file:progress', { ...ref(0), transferred: 5, completedBytes: 5, total: undefined, speed: 1, connections: [{ connection: 7, start: 0, end: -1, position: 5, speed: 1 }] });
  events.emit('file:interrupted', { ...ref(0), transferred: 5, completedBytes: 0, size: undefined, resumable: false });
  const time = '2025-01-01T00:00:00.000Z';
  assert.deepEqual(await parsed(), [
    { event: 'range:start', ...ref(0), start: 0, range: 7, end: null, time },
    { event: 'range:retry', ...ref(0), start: 100, attempt: 2, delayMs: 10, reason: 'reset', range: 7, end: 200, time },
    { event: 'file:progress', ...ref(0), transferred: 5, completedBytes: 5, total: null, speed: 1, ranges: [{ start: 0, position: 5, speed: 1, range: 7, end: null }], time },
    { event: 'file:interrupted', ...ref(0), transferred: 5, completedBytes: 0, size: null, resumable: false, time },
  ]);
  assert.ok(!(await parsed()).some((line) => JSON.stringify(line).includes('"connection')), 'no field named connection');
});

test('json thins file progress to one line per second per file, and run progress to one per second', async () => {
  const { clock, events, parsed } = await json();
  const start = clock.t;
  for (let ms = 0; ms <= 2500; ms += 250) {
    clock.t = start + ms;
    for (const index of [0, 1]) {
      events.emit('file:progress', { ...ref(index), transferred: ms, completedBytes: ms, total: 5000, speed: 1, connections: [] });
    }
    events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 2, transferred: ms, totalBytes: 10_000, speed: 1, active: 2 });
  }
  const lines = await parsed();
  const fileLines = (index: number) => lines.filter((l) => l.event === 'file:progress' && l.index === index).map((l) => l.transferred);
  assert.deepEqual(fileLines(0), [0, 1000, 2000]);
  assert.deepEqual(fileLines(1), [0, 1000, 2000]);
  assert.deepEqual(lines.filter((l) => l.event === 'run:progress').map((l) => l.transferred), [0, 1000, 2000]);
});

test('json forgets a finished file so its next progress is not throttled away', async () => {
  const { events, parsed } = await json();
  events.emit('file:progress', { ...ref(0), transferred: 1, completedBytes: 1, total: 2, speed: 1, connections: [] });
  events.emit('file:interrupted', { ...ref(0), transferred: 1, completedBytes: 1, size: 2, resumable: true });
  events.emit('file:progress', { ...ref(0), transferred: 2, completedBytes: 2, total: 2, speed: 1, connections: [] });
  assert.deepEqual((await parsed()).map((l) => l.event), ['file:progress', 'file:interrupted', 'file:progress']);
});

test('json of a whole run: every line parses, the summary comes last, run:done is not duplicated', async () => {
  const { reporter, events, parsed, out } = await json();
  const summary = await feedSyntheticRun(events, 0);
  await reporter.end(summary, 4);
  await reporter.end(summary, 4);
  const lines = await parsed();
  assert.equal(lines.filter((l) => l.event === 'file:start').length, FILES);
  assert.equal(lines.filter((l) => l.event === 'file:failed').length, FAILED.size);
  assert.equal(lines.filter((l) => l.event === 'run:done').length, 0);
  const last = lines.at(-1);
  assert.equal(last?.event, 'summary');
  assert.equal(last?.exitCode, 4, 'the summary carries the exit code');
  assert.equal((last?.totals as { failed: number }).failed, FAILED.size);
  const files = last?.files as Array<{ status: string; outcome?: string }>;
  assert.equal(files.length, FILES);
  assert.ok(files.every((file) => typeof file.status === 'string' && file.outcome === undefined), 'status, as in --report');
  assert.equal(lines.filter((l) => l.event === 'summary').length, 1, 'end twice writes one summary');
  // Lines are batched into few writes, but a write never splits a line.
  assert.ok(out.chunks.every((chunk) => chunk.endsWith('\n')));
  assert.ok(out.chunks.length < lines.length, 'lines are written in batches, not one write each');
});

test('json under quiet keeps failures and the summary only', async () => {
  const { reporter, events, parsed } = await json({ quiet: true });
  const summary = await feedSyntheticRun(events, 0);
  await reporter.end(summary);
  const kinds = new Set((await parsed()).map((l) => l.event));
  assert.deepEqual([...kinds].sort(), ['file:failed', 'summary']);
});

test('json never throws on odd events', async () => {
  const { events, parsed } = await json();
  assert.doesNotThrow(() => {
    events.emit('file:progress', { index: 5 } as never);
    events.emit('range:retry', { ...ref(4), connection: 1, start: 0, end: 1, attempt: 1, delayMs: 0, reason: 'x' });
  });
  assert.equal((await parsed()).length, 2);
});
