import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEmitter } from '../../src/engine/events.js';
import { subscribe } from '../../src/report/reporter.js';
import { FAILED_SLOTS, FILE_SLOTS, relabel, TtyState, type DisplayState, type FileState } from '../../src/report/tty-state.js';
import { fitWithPath, lineText, MAX_LINES, viewFrame } from '../../src/report/tty-view.js';

const MiB = 1024 * 1024;
const WIDE = { columns: 120, rows: 40 };
const ref = (index: number) => ({ index, path: `dir/f${index}.bin`, url: `http://127.0.0.1/${index}` });
const text = (state: DisplayState, size = WIDE) => viewFrame(state, size).map(lineText);

function file(overrides: Partial<FileState> = {}): FileState {
  return { path: 'dir/f0.bin', size: 4 * MiB, bytes: MiB, speed: MiB, connections: [], note: undefined, ...overrides };
}

function state(overrides: Partial<DisplayState> = {}): DisplayState {
  return {
    phase: { kind: 'running' },
    files: { total: 10, done: 0, skipped: 0, failed: 0, interrupted: 0 },
    bytes: { done: MiB, known: 4 * MiB, sized: 1, unsized: 0 },
    speed: MiB,
    failures: [],
    active: [file()],
    ...overrides,
  };
}

const conns = (n: number) => Array.from({ length: n }, (_, c) => ({ label: c + 1, start: c * MiB, end: (c + 1) * MiB, position: c * MiB + MiB / 2, speed: MiB }));

test('running: header, file line and one line per connection', () => {
  assert.deepEqual(text(state({ active: [file({ connections: conns(2) })] })), [
    '⠋ Downloading 0/10 files · 1.0 MiB of 4.0 MiB · 1.0 MiB/s · ETA 3s',
    '  ↓ dir/f0.bin  1.0 MiB of 4.0 MiB (25%) · 1.0 MiB/s · ETA 3s · 2 conns',
    '    › conn 1  bytes 0.0–1.0 MiB  50%  1.0 MiB/s',
    '    › conn 2  bytes 1.0–2.0 MiB  50%  1.0 MiB/s',
  ]);
  assert.equal(text(state({ active: [file()] })).length, 2, 'one connection: no sub-line');
});

test('running with sizes still unknown: the total is a lower bound and the ETA an estimate', () => {
  const lines = text(state({ bytes: { done: 2 * MiB, known: 4 * MiB, sized: 2, unsized: 2 } }));
  assert.equal(lines[0], '⠋ Downloading 0/10 files · 2.0 MiB of ≥4.0 MiB · 1.0 MiB/s · ETA ~6s');
  assert.match(text(state({ bytes: { done: 0, known: 0, sized: 0, unsized: 10 } }))[0] ?? '', /· 0 B · 1\.0 MiB\/s · ETA --$/);
});

test('interrupted, stopped, failed and done runs end on their own mark', () => {
  const ended = (phase: DisplayState['phase'], files: Partial<DisplayState['files']>) =>
    text(state({ phase, active: [], files: { total: 2, done: 0, skipped: 0, failed: 0, interrupted: 0, ...files } }));
  assert.deepEqual(ended({ kind: 'stopped', reason: 'SIGINT' }, { interrupted: 2 }), [
    '◼ Interrupted (SIGINT) · 0/2 files done · 1.0 MiB of 4.0 MiB',
    '  › 0 done, 2 interrupted',
  ]);
  assert.equal(ended({ kind: 'stopped', reason: 'max-runtime' }, { done: 1, interrupted: 1 })[0], '◼ Stopped at --max-runtime · 1/2 files done · 1.0 MiB of 4.0 MiB');
  assert.equal(ended({ kind: 'stopped', reason: 'SIGTERM' }, { interrupted: 2 })[0], '◼ Stopped (SIGTERM) · 0/2 files done · 1.0 MiB of 4.0 MiB');
  assert.equal(ended({ kind: 'done' }, { done: 2 })[0], '✔ Done · 2/2 files done · 1.0 MiB of 4.0 MiB');
  const failed = viewFrame(state({ phase: { kind: 'failed' }, active: [], files: { total: 2, done: 1, skipped: 0, failed: 1, interrupted: 0 }, failures: ['dir/f1.bin: HTTP 404'] }), WIDE);
  assert.deepEqual(failed.map(lineText), ['✖ Failed · 1/2 files done · 1.0 MiB of 4.0 MiB', '  › 1 done', '  ✖ dir/f1.bin: HTTP 404']);
  assert.deepEqual(failed.map((l) => l.tone), ['failed', 'dim', 'failed']);
});

test('the state folds events: resumed bytes count whole-file in both header and file line, speed from this run', () => {
  let now = 0;
  const view = new TtyState(() => now);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
  events.emit('file:start', { ...ref(0), size: 300 * MiB, resumedBytes: 100 * MiB, ranges: true });
  events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 0, totalBytes: 200 * MiB, speed: 0, active: 1 });
  now = 2000;
  events.emit('file:progress', { ...ref(0), transferred: 120 * MiB, completedBytes: 120 * MiB, total: 300 * MiB, speed: 10 * MiB, connections: [] });
  events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 20 * MiB, totalBytes: 200 * MiB, speed: 10 * MiB, active: 1 });
  assert.deepEqual(text(view.snapshot()), [
    '⠋ Downloading 0/1 files · 120.0 MiB of 300.0 MiB · 10.0 MiB/s · ETA 18s',
    '  ↓ dir/f0.bin  120.0 MiB of 300.0 MiB (40%) · 10.0 MiB/s · ETA 18s',
  ]);
});

test('the state counts files done between progress ticks and measures the speed on the run\'s bytes', () => {
  let now = 0;
  const view = new TtyState(() => now);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  events.emit('run:start', { files: 2000, totalBytes: undefined, startedAt: 0 });
  for (let tick = 0; tick <= 3; tick += 1) {
    now = tick * 500;
    for (let i = tick * 10; i < tick * 10 + 10; i += 1) {
      events.emit('file:done', { ...ref(i), outcome: 'downloaded', size: 8192, transferred: 8192, elapsedMs: 5, sha256: undefined });
    }
    events.emit('run:progress', { filesDone: tick * 10 + 10, filesFailed: 0, filesTotal: 2000, transferred: (tick * 10 + 10) * 8192, totalBytes: undefined, speed: 0, active: 0 });
  }
  const snap = view.snapshot();
  assert.deepEqual(snap.bytes, { done: 40 * 8192, known: 40 * 8192, sized: 40, unsized: 1960 });
  assert.equal(snap.speed, (30 * 8192 * 1000) / 1500);
  assert.equal(text(snap)[0], '⠋ Downloading 40/2000 files · 320.0 KiB · 160.0 KiB/s · ETA ~1m38s');
});

test('the final state is the summary\'s, whatever the last tick said', () => {
  const view = new TtyState(() => 0);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  events.emit('file:progress', { ...ref(0), transferred: 290 * MiB, completedBytes: 290 * MiB, total: 300 * MiB, speed: MiB, connections: [] });
  const files = [{ ...ref(0), outcome: 'interrupted' as const, size: 300 * MiB, transferred: 295 * MiB, completedBytes: 295 * MiB, elapsedMs: 1, sha256: undefined, error: undefined }];
  view.finish({ files, done: 0, skipped: 0, unchanged: 0, failed: 0, interrupted: 1, transferred: 295 * MiB, elapsedMs: 1, speed: 1, stopped: 'SIGINT' });
  assert.deepEqual(text(view.snapshot()), ['◼ Interrupted (SIGINT) · 0/1 files done · 295.0 MiB of 300.0 MiB', '  › 0 done, 1 interrupted']);
});

test('narrow (60 columns): paths are cut from the left, speed and ETA stay, nothing is wider than the terminal', () => {
  const long = 'releases/2026/linux/distribution-images/very-long-name-x86_64-server.iso';
  const s = state({
    bytes: { done: 100 * MiB, known: 300 * MiB, sized: 1, unsized: 0 },
    speed: 2 * MiB,
    active: [file({ path: long, size: 300 * MiB, bytes: 100 * MiB, speed: 2 * MiB, connections: conns(3), note: 'conn 2 retry 1: ECONNRESET' })],
    failures: [`${long}: HTTP 503 Service Unavailable after 5 retries, giving up on this mirror`],
    files: { total: 10, done: 1, skipped: 0, failed: 1, interrupted: 0 },
  });
  const lines = text(s, { columns: 60, rows: 24 });
  for (const line of lines) assert.ok([...line].length <= 60, `${[...line].length}: ${line}`);
  assert.equal(lines[0], '⠋ 1/10 files · 33% · 2.0 MiB/s · ETA 1m40s');
  // The retry notice is detail: it goes before the speed and ETA do.
  assert.equal(lines[3], '  ↓ …ong-name-x86_64-server.iso  33% · 2.0 MiB/s · ETA 1m40s');
  assert.match(text(s, { columns: 100, rows: 24 })[3] ?? '', /server\.iso {2}100\.0 MiB of 300\.0 MiB \(33%\) · 2\.0 MiB\/s · ETA 1m40s · conn 2 retry 1: ECONNRESET$/);
  assert.match(lines[2] ?? '', /^ {2}✖ releases\/.*…$/);
  for (const columns of [20, 30, 40, 50, 80]) {
    for (const line of text(s, { columns, rows: 24 })) assert.ok([...line].length <= columns, `${columns}: ${line}`);
  }
  assert.equal(fitWithPath('a/b/c/name.bin', ['12.0 MiB of 40.0 MiB · 1.0 MiB/s · ETA 28s', '30% · 1.0 MiB/s · ETA 28s'], 40), '…b/c/name.bin  30% · 1.0 MiB/s · ETA 28s');
});

test('short (12 rows): at most 11 lines, the header first, failures and files share the rest', () => {
  const many = Array.from({ length: 12 }, (_, i) => file({ path: `dir/f${i}.bin`, connections: conns(4) }));
  const failures = Array.from({ length: FAILED_SLOTS }, (_, i) => `dir/x${i}.bin: reset`);
  const s = state({ active: many, failures, files: { total: 40, done: 3, skipped: 0, failed: 7, interrupted: 0 } });
  const lines = text(s, { columns: 120, rows: 12 });
  assert.equal(lines.length, 11);
  assert.match(lines[0] ?? '', /^⠋ Downloading 3\/40 files/);
  // Failures get at most half of what the header and done line leave while files are in flight.
  assert.equal(lines[1], '  › 3 done · and 3 more failed');
  assert.equal(lines.filter((l) => l.startsWith('  ✖')).length, 4);
  assert.equal(lines.filter((l) => l.startsWith('  ↓')).length, 4);
  assert.equal(lines[lines.length - 1], '  … and 8 more in flight');
  for (const rows of [1, 2, 3, 5, 8, 12, 24, 40, 100]) {
    const frame = text(s, { columns: 120, rows });
    assert.ok(frame.length <= Math.max(1, Math.min(MAX_LINES, rows - 1)), `${rows} rows: ${frame.length} lines`);
    assert.match(frame[0] ?? '', /Downloading/);
  }
  assert.deepEqual(text(s, { columns: 120, rows: 4 }).slice(1), ['  › 3 done · 7 failed', '  … 12 files in flight']);
});

test('the state gives files stable places; the view never exceeds MAX_LINES', () => {
  const view = new TtyState(() => 0);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  for (let i = 0; i < 10; i += 1) {
    events.emit('file:start', { ...ref(i), size: 4 * MiB, resumedBytes: 0, ranges: false });
  }
  const paths = () => view.snapshot().active.map((f) => f.path).slice(0, FILE_SLOTS);
  assert.deepEqual(paths(), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `dir/f${i}.bin`));
  events.emit('file:done', { ...ref(2), outcome: 'downloaded', size: 4 * MiB, transferred: 4 * MiB, elapsedMs: 9, sha256: undefined });
  events.emit('file:interrupted', { ...ref(5), transferred: 0, completedBytes: 0, size: 4 * MiB });
  assert.deepEqual(paths(), [0, 1, 8, 3, 4, 9, 6, 7].map((i) => `dir/f${i}.bin`));
  const big = state({ active: Array.from({ length: 500 }, () => file({ connections: conns(16) })), failures: ['a: b'], files: { total: 900, done: 1, skipped: 0, failed: 100, interrupted: 0 } });
  assert.equal(text(big, { columns: 120, rows: 200 }).length, MAX_LINES);
});

test('connections are numbered 1..N and keep their number as their ranges change', () => {
  const table: Array<[Array<[number, number]>, number[], Array<[number, number]>]> = [
    [[], [32, 33, 34], [[32, 1], [33, 2], [34, 3]]],
    [[[32, 1], [33, 2], [34, 3]], [32, 34, 35], [[32, 1], [34, 3], [35, 2]]],
    [[[32, 1], [34, 3]], [34], [[34, 3]]],
    [[[34, 3]], [34, 40, 41, 42], [[34, 3], [40, 1], [41, 2], [42, 4]]],
  ];
  for (const [previous, ids, expected] of table) assert.deepEqual([...relabel(new Map(previous), ids)], expected);

  const view = new TtyState(() => 0);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  const at = (id: number) => ({ connection: id, start: 0, end: 10, position: 5, speed: 1 });
  events.emit('file:progress', { ...ref(0), transferred: 0, completedBytes: 0, total: 40, speed: 1, connections: [at(32), at(33)] });
  events.emit('file:progress', { ...ref(0), transferred: 0, completedBytes: 0, total: 40, speed: 1, connections: [at(34), at(33)] });
  events.emit('range:retry', { ...ref(0), connection: 33, start: 0, end: 10, attempt: 2, delayMs: 10, reason: 'ECONNRESET' });
  const snap = view.snapshot();
  assert.deepEqual(snap.active[0]?.connections.map((c) => c.label), [1, 2]);
  assert.equal(snap.active[0]?.note, 'conn 2 retry 2: ECONNRESET');
});

test('a retry notice shows until progress resumes after the delay; odd event orders never throw', () => {
  const clock = { t: 0 };
  const view = new TtyState(() => clock.t);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  events.emit('file:retry', { ...ref(0), attempt: 2, delayMs: 1200, reason: 'ECONNRESET' });
  assert.equal(view.snapshot().active[0]?.note, 'retry 2 in 1.2s: ECONNRESET');
  clock.t = 1000;
  events.emit('file:progress', { ...ref(0), transferred: MiB, completedBytes: MiB, total: 4 * MiB, speed: 0, connections: [] });
  assert.equal(view.snapshot().active[0]?.note, 'retry 2 in 1.2s: ECONNRESET', 'still waiting');
  clock.t = 1300;
  events.emit('file:progress', { ...ref(0), transferred: 2 * MiB, completedBytes: 2 * MiB, total: 4 * MiB, speed: MiB, connections: [] });
  assert.equal(view.snapshot().active[0]?.note, undefined);
  assert.doesNotThrow(() => {
    events.emit('file:done', { ...ref(99), outcome: 'downloaded', size: 1, transferred: 1, elapsedMs: 1, sha256: undefined });
    events.emit('range:retry', { ...ref(8), connection: 2, start: 0, end: 10, attempt: 1, delayMs: 10, reason: 'x' });
  });
  const lines = text(view.snapshot());
  assert.equal(lines[1], '  › 1 done');
  assert.equal(lines[3], '  ↓ dir/f8.bin  0 B · 0 B/s · ETA -- · retry 1: x');
});

test('a file whose bytes have not reached the disk yet shows the rate its connections receive at', () => {
  const view = new TtyState(() => 0);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  const conn = (id: number) => ({ connection: id, start: (id - 1) * 4 * MiB, end: id * 4 * MiB, position: (id - 1) * 4 * MiB + 800 * 1024, speed: 512 * 1024 });
  events.emit('file:progress', { ...ref(0), transferred: 0, completedBytes: 0, total: 64 * MiB, speed: 0, connections: [conn(1), conn(2)] });
  assert.match(text(view.snapshot())[1] ?? '', /^ {2}↓ dir\/f0\.bin {2}0 B of 64\.0 MiB \(0%\) · 1\.0 MiB\/s · ETA 1m04s · 2 conns$/);
});

test('the run\'s speed is never below what the files in flight are receiving (bytes held in write batches)', () => {
  let now = 0;
  const view = new TtyState(() => now);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  events.emit('run:start', { files: 1, totalBytes: undefined, startedAt: 0 });
  const conn = (id: number) => ({ connection: id, start: (id - 1) * 4 * MiB, end: id * 4 * MiB, position: (id - 1) * 4 * MiB + 800 * 1024, speed: 512 * 1024 });
  events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 0, totalBytes: undefined, speed: 0, active: 1 });
  now = 1500;
  events.emit('file:progress', { ...ref(0), transferred: 0, completedBytes: 0, total: 64 * MiB, speed: 0, connections: [conn(1), conn(2)] });
  events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 1, transferred: 0, totalBytes: undefined, speed: 0, active: 1 });
  assert.equal(view.snapshot().speed, MiB);
});
