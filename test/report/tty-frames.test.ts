/**
 * The live display as the user sees it: the real tty reporter (listr2 included) drawing on a captured terminal of
 * a given size, fed engine events; each test reads the frames it drew.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineEmitter, type FileResult, type RunSummary } from '../../src/engine/events.js';
import { createReporter } from '../../src/report/index.js';
import { capture } from './synthetic-run.js';

const MiB = 1024 * 1024;
const ERASE = /(?:\x1b\[2K\x1b\[1A)*\x1b\[2K\x1b\[G/;
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
/** Longer than the renderer's redraw interval, so the next frame reflects what was just emitted. */
const FRAME_WAIT_MS = 450;

const ref = (index: number, path = `data/f${index}.bin`) => ({ index, path, url: `http://127.0.0.1/${index}` });

function splitFrames(raw: string): string[][] {
  const end = raw.lastIndexOf('\x1b[?25h');
  return raw
    .slice(0, end < 0 ? raw.length : end)
    .split(ERASE)
    .slice(1)
    .map((frame) => stripAnsi(frame.split('\x1b[?25h')[0] ?? '').split(/\r?\n/).filter((line) => line.trim() !== ''))
    .filter((frame) => frame.length > 0);
}

async function drive(size: { columns: number; rows: number }, feed: (events: EngineEmitter) => Promise<void>, summary: RunSummary) {
  const err = capture(size);
  const reporter = await createReporter('tty', { out: capture().stream, err: err.stream, quiet: false, verbose: false, timestamps: false });
  const events = new EngineEmitter();
  reporter.attach(events);
  await feed(events);
  await sleep(FRAME_WAIT_MS);
  const live = splitFrames(err.text());
  await reporter.end(summary);
  const all = splitFrames(err.text());
  return { live, last: live[live.length - 1] ?? [], final: all[all.length - 1] ?? [] };
}

function summaryOf(files: FileResult[], extra: Partial<RunSummary> = {}): RunSummary {
  const count = (o: FileResult['outcome']) => files.filter((f) => f.outcome === o).length;
  const transferred = files.reduce((n, f) => n + f.transferred, 0);
  return {
    files, done: count('downloaded') + count('resumed'), skipped: count('skipped'), unchanged: 0, failed: count('failed'),
    interrupted: count('interrupted'), transferred, elapsedMs: 1000, speed: transferred, stopped: undefined, ...extra,
  };
}

const result = (index: number, outcome: FileResult['outcome'], size: number, completedBytes: number, transferred = completedBytes): FileResult => ({
  ...ref(index), outcome, size, transferred, completedBytes, elapsedMs: 10, sha256: undefined, error: undefined,
});

test('after Ctrl-C the last frame says the run was interrupted, not a green tick, with the bytes kept', async () => {
  const { final } = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
    events.emit('file:start', { ...ref(0), size: 300 * MiB, resumedBytes: 0, ranges: true });
    events.emit('file:progress', { ...ref(0), transferred: 100 * MiB, completedBytes: 100 * MiB, total: 300 * MiB, speed: MiB, connections: [] });
    events.emit('file:interrupted', { ...ref(0), transferred: 120 * MiB, completedBytes: 120 * MiB, size: 300 * MiB });
  }, summaryOf([result(0, 'interrupted', 300 * MiB, 120 * MiB)], { stopped: 'SIGINT' }));
  const header = final[0] ?? '';
  assert.doesNotMatch(header, /✔/);
  assert.match(header, /^◼ Interrupted \(SIGINT\) · 0\/1 files done · 120\.0 MiB of 300\.0 MiB$/);
  assert.ok(final.some((line) => /› 0 done, 1 interrupted/.test(line)), final.join('\n'));
});

test('--max-runtime and failures end on their own marks', async () => {
  const stopped = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 2, totalBytes: undefined, startedAt: 0 });
  }, summaryOf([result(0, 'downloaded', MiB, MiB), result(1, 'interrupted', MiB, 0)], { stopped: 'max-runtime' }));
  assert.match(stopped.final[0] ?? '', /^◼ Stopped at --max-runtime · 1\/2 files done/);

  const error = { code: 'E_HTTP_STATUS', kind: 'protocol', message: 'HTTP 404 Not Found' };
  const failed = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 2, totalBytes: undefined, startedAt: 0 });
    events.emit('file:failed', { ...ref(1), error, transferred: 0, elapsedMs: 1, stoppedAt: 'probe' });
  }, summaryOf([result(0, 'downloaded', MiB, MiB), { ...result(1, 'failed', MiB, 0), error }]));
  assert.match(failed.final[0] ?? '', /^✖ Failed · 1\/2 files done · 1\.0 MiB$/);
  assert.ok(failed.final.includes('  ✖ data/f1.bin: HTTP 404 Not Found'), failed.final.join('\n'));
});

test('the last frame is drawn from the final state, not the last progress tick', async () => {
  const { last, final } = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
    events.emit('file:start', { ...ref(0), size: 300 * MiB, resumedBytes: 0, ranges: false });
    events.emit('file:progress', { ...ref(0), transferred: 290.9 * MiB, completedBytes: 290.9 * MiB, total: 300 * MiB, speed: MiB, connections: [] });
    events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 290.9 * MiB, totalBytes: 300 * MiB, speed: MiB, active: 1 });
    events.emit('file:done', { ...ref(0), outcome: 'downloaded', size: 300 * MiB, transferred: 300 * MiB, elapsedMs: 10, sha256: undefined });
  }, summaryOf([result(0, 'downloaded', 300 * MiB, 300 * MiB)]));
  assert.match(last[0] ?? '', /1\/1 files · 300\.0 MiB · /, 'the finished file counts in full at once');
  assert.match(final[0] ?? '', /^✔ Done · 1\/1 files done · 300\.0 MiB$/);
});

test('small files finishing between ticks still move the header: bytes of done files and a speed', async () => {
  const { last } = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 2000, totalBytes: undefined, startedAt: 0 });
    let transferred = 0;
    for (let tick = 0; tick < 4; tick += 1) {
      for (let i = tick * 10; i < tick * 10 + 10; i += 1) {
        events.emit('file:start', { ...ref(i), size: 8192, resumedBytes: 0, ranges: false });
        events.emit('file:done', { ...ref(i), outcome: 'downloaded', size: 8192, transferred: 8192, elapsedMs: 5, sha256: undefined });
        transferred += 8192;
      }
      // What the engine reports: files in flight have no measured speed of their own yet.
      events.emit('run:progress', { filesDone: tick * 10 + 10, filesFailed: 0, filesTotal: 2000, transferred, totalBytes: undefined, speed: 0, active: 0 });
      await sleep(120);
    }
  }, summaryOf([]));
  const header = last[0] ?? '';
  assert.match(header, /Downloading 40\/2000 files · 320\.0 KiB · /);
  assert.doesNotMatch(header, / 0 B\/s/);
  assert.match(header, /ETA ~\d/);
});

test('a file with 8 connections shows one line per connection, numbered 1..8, not range ids', async () => {
  const connections = Array.from({ length: 8 }, (_, c) => ({
    connection: 32 + c, start: c * 8 * MiB, end: (c + 1) * 8 * MiB, position: c * 8 * MiB + MiB, speed: MiB,
  }));
  const { last } = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
    events.emit('file:start', { ...ref(0), size: 64 * MiB, resumedBytes: 0, ranges: true });
    events.emit('file:progress', { ...ref(0), transferred: 8 * MiB, completedBytes: 8 * MiB, total: 64 * MiB, speed: 8 * MiB, connections });
  }, summaryOf([]));
  const conns = last.filter((line) => /^ {4}› conn \d/.test(line));
  assert.deepEqual(conns.map((line) => line.match(/conn (\d+)/)?.[1]), ['1', '2', '3', '4', '5', '6', '7', '8'], last.join('\n'));
  assert.ok(!last.some((line) => /#3\d/.test(line)));
});

test('at 60 columns the path is cut, never the speed or ETA, and no line is wider than the terminal', async () => {
  const path = 'releases/2026/linux/distribution-images/very-long-name-x86_64-server.iso';
  const { live } = await drive({ columns: 60, rows: 24 }, async (events) => {
    events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
    events.emit('file:start', { ...ref(0, path), size: 300 * MiB, resumedBytes: 0, ranges: false });
    events.emit('file:progress', { ...ref(0, path), transferred: 100 * MiB, completedBytes: 100 * MiB, total: 300 * MiB, speed: 2 * MiB, connections: [] });
    events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 0, totalBytes: 300 * MiB, speed: 0, active: 1 });
    await sleep(100);
    events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 200 * 1024, totalBytes: 300 * MiB, speed: 0, active: 1 });
  }, summaryOf([]));
  const last = live[live.length - 1] ?? [];
  for (const frame of live) for (const line of frame) assert.ok([...line].length <= 60, `${[...line].length} columns: ${line}`);
  const file = last.find((line) => line.includes('server.iso')) ?? '';
  assert.match(file, /^ {2}↓ …[^ ]*server\.iso {2}33% · 2\.0 MiB\/s · ETA 1m40s$/, last.join('\n'));
  assert.match(last[0] ?? '', /MiB\/s · ETA \S+$/);
});

test('in a 12-row terminal every frame has at most 11 lines and starts with the header', async () => {
  const { live } = await drive({ columns: 120, rows: 12 }, async (events) => {
    events.emit('run:start', { files: 40, totalBytes: undefined, startedAt: 0 });
    for (let i = 0; i < 12; i += 1) {
      const connections = Array.from({ length: 4 }, (_, c) => ({ connection: c + 1, start: c * MiB, end: (c + 1) * MiB, position: c * MiB, speed: 1 }));
      events.emit('file:start', { ...ref(i), size: 4 * MiB, resumedBytes: 0, ranges: true });
      events.emit('file:progress', { ...ref(i), transferred: 0, completedBytes: 0, total: 4 * MiB, speed: 1, connections });
    }
    const error = { code: 'E', kind: 'network', message: 'reset' };
    for (let i = 100; i < 103; i += 1) events.emit('file:failed', { ...ref(i), error, transferred: 0, elapsedMs: 1, stoppedAt: 'body' });
  }, summaryOf([]));
  assert.ok(live.length > 0);
  for (const frame of live) {
    assert.ok(frame.length <= 11, `${frame.length} lines:\n${frame.join('\n')}`);
    assert.match(frame[0] ?? '', /Downloading \d+\/40 files/);
  }
  const last = live[live.length - 1] ?? [];
  assert.match(last[last.length - 1] ?? '', /and \d+ more in flight/);
});

test('on resume the header and the file line count the same whole-file bytes; the speed is this run\'s', async () => {
  const { last } = await drive({ columns: 120, rows: 40 }, async (events) => {
    events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
    events.emit('file:start', { ...ref(0), size: 300 * MiB, resumedBytes: 100 * MiB, ranges: true });
    events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 0, totalBytes: 200 * MiB, speed: 0, active: 1 });
    await sleep(100);
    events.emit('file:progress', { ...ref(0), transferred: 120 * MiB, completedBytes: 120 * MiB, total: 300 * MiB, speed: 20 * MiB, connections: [] });
    events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 20 * MiB, totalBytes: 200 * MiB, speed: 20 * MiB, active: 1 });
  }, summaryOf([]));
  assert.match(last[0] ?? '', /· 120\.0 MiB of 300\.0 MiB · /);
  assert.match(last.find((line) => line.includes('data/f0.bin')) ?? '', /data\/f0\.bin {2}120\.0 MiB of 300\.0 MiB \(40%\)/);
});
