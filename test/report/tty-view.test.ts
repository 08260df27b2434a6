import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEmitter } from '../../src/engine/events.js';
import { subscribe } from '../../src/report/index.js';
import { CONNECTION_SLOTS, FAILED_SLOTS, FILE_SLOTS, MAX_LINES, TtyView, type Frame } from '../../src/report/tty-view.js';

const MiB = 1024 * 1024;
const ref = (index: number) => ({ index, path: `dir/f${index}.bin`, url: `http://127.0.0.1/${index}` });

function setup() {
  const clock = { t: 0 };
  const view = new TtyView(() => clock.t);
  const events = new EngineEmitter();
  subscribe(events, view.handlers());
  return { clock, view, events };
}

function start(events: EngineEmitter, index: number, connections = 1): void {
  events.emit('file:start', { ...ref(index), size: 4 * MiB, resumedBytes: 0, ranges: connections > 1 });
  const parts = Array.from({ length: connections }, (_, c) => ({
    connection: c + 1, start: c * MiB, end: (c + 1) * MiB, position: c * MiB + MiB / 2, speed: MiB,
  }));
  events.emit('file:progress', { ...ref(index), transferred: MiB, total: 4 * MiB, speed: MiB, connections: connections > 1 ? parts : [] });
}

function lineCount(frame: Frame): number {
  const files = frame.files.filter((f) => f !== undefined);
  return 1 + (frame.done ? 1 : 0) + frame.failed.length + files.length
    + files.reduce((n, f) => n + f.connections.length, 0) + (frame.more ? 1 : 0);
}

test('the frame stays within MAX_LINES however many files are in flight or failed', () => {
  for (const [inFlight, failures, connections] of [[1, 0, 8], [3, 0, 8], [8, 0, 2], [30, 7, 8], [500, 100, 16]] as const) {
    const { view, events } = setup();
    for (let i = 0; i < failures; i += 1) {
      const error = { code: 'E', kind: 'network', message: `reset ${i}` };
      events.emit('file:failed', { ...ref(10_000 + i), error, transferred: 0, elapsedMs: 1, stoppedAt: 'body' });
    }
    for (let i = 0; i < inFlight; i += 1) start(events, i, connections);
    const frame = view.frame();
    assert.ok(lineCount(frame) <= MAX_LINES, `${inFlight} in flight, ${failures} failed: ${lineCount(frame)} lines`);
    assert.equal(frame.files.length, FILE_SLOTS);
    assert.equal(frame.failed.length, Math.min(failures, FAILED_SLOTS));
    assert.ok(frame.files.every((f) => f === undefined || f.connections.length <= CONNECTION_SLOTS));
    assert.equal(frame.more, inFlight > FILE_SLOTS ? `and ${inFlight - FILE_SLOTS} more in flight` : '');
  }
});

test('a file keeps its slot while in flight; a freed slot goes to the oldest waiting file', () => {
  const { view, events } = setup();
  for (let i = 0; i < 10; i += 1) start(events, i);
  const titles = () => view.frame().files.map((f) => f?.title.split('  ')[0]);
  assert.deepEqual(titles(), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `dir/f${i}.bin`));
  events.emit('file:done', { ...ref(2), outcome: 'downloaded', size: 4 * MiB, transferred: 4 * MiB, elapsedMs: 9, sha256: undefined });
  events.emit('file:interrupted', { ...ref(5), transferred: 0, completedBytes: 0, size: 4 * MiB });
  assert.deepEqual(titles(), [0, 1, 8, 3, 4, 9, 6, 7].map((i) => `dir/f${i}.bin`));
  assert.equal(view.frame().more, '');
});

test('finished files collapse into one done line; failures beyond the listed ones are counted there', () => {
  const { view, events } = setup();
  assert.equal(view.frame().done, '');
  for (let i = 0; i < 3; i += 1) {
    events.emit('file:done', { ...ref(i), outcome: i === 0 ? 'resumed' : 'downloaded', size: 1, transferred: 1, elapsedMs: 1, sha256: undefined });
  }
  events.emit('file:done', { ...ref(3), outcome: 'skipped', size: 1, transferred: 0, elapsedMs: 1, sha256: undefined });
  assert.equal(view.frame().done, '3 done, 1 skipped');
  for (let i = 0; i < FAILED_SLOTS + 2; i += 1) {
    const error = { code: 'E', kind: 'protocol', message: `HTTP 404\x1b[2J ${i}` };
    events.emit('file:failed', { ...ref(100 + i), error, transferred: 0, elapsedMs: 1, stoppedAt: 'probe' });
  }
  const frame = view.frame();
  assert.equal(frame.done, '3 done, 1 skipped · and 2 more failed');
  assert.deepEqual(frame.failed[0], 'dir/f100.bin: HTTP 404?[2J 0');
  assert.equal(frame.failed.length, FAILED_SLOTS);
});

test('header, file and connection lines carry progress, speed and ETA', () => {
  const { view, events } = setup();
  events.emit('run:start', { files: 10, totalBytes: 4 * MiB, startedAt: 0 });
  start(events, 0, 2);
  events.emit('run:progress', { filesDone: 0, filesFailed: 0, filesTotal: 10, transferred: MiB, totalBytes: 4 * MiB, speed: MiB, active: 1 });
  const frame = view.frame();
  assert.equal(frame.header, 'Downloading 0/10 files · 1.0 MiB of 4.0 MiB · 1.0 MiB/s · ETA 3s');
  assert.equal(frame.files[0]?.title, 'dir/f0.bin  1.0 MiB of 4.0 MiB (25%) · 1.0 MiB/s · ETA 3s · 2 conns');
  assert.deepEqual(frame.files[0]?.connections, ['#1 bytes 0.0–1.0 MiB  50%  1.0 MiB/s', '#2 bytes 1.0–2.0 MiB  50%  1.0 MiB/s']);
  start(events, 1, 1);
  assert.deepEqual(view.frame().files[1]?.connections, [], 'one connection: no sub-lines');
  assert.equal(frame.final, '0/10 files done · 1.0 MiB');
});

test('a retry notice shows until progress resumes after the delay', () => {
  const { clock, view, events } = setup();
  start(events, 0);
  events.emit('file:retry', { ...ref(0), attempt: 2, delayMs: 1200, reason: 'ECONNRESET' });
  assert.match(view.frame().files[0]?.title ?? '', /retry 2 in 1\.2s: ECONNRESET$/);
  clock.t = 1000;
  events.emit('file:progress', { ...ref(0), transferred: MiB, total: 4 * MiB, speed: 0, connections: [] });
  assert.match(view.frame().files[0]?.title ?? '', /retry 2/, 'still waiting');
  clock.t = 1300;
  events.emit('file:progress', { ...ref(0), transferred: 2 * MiB, total: 4 * MiB, speed: MiB, connections: [] });
  assert.doesNotMatch(view.frame().files[0]?.title ?? '', /retry/);
});

test('events in unexpected orders never throw and still show something sensible', () => {
  const { view, events } = setup();
  assert.doesNotThrow(() => {
    events.emit('file:progress', { ...ref(7), transferred: 5, total: undefined, speed: 0, connections: [] });
    events.emit('file:done', { ...ref(99), outcome: 'downloaded', size: 1, transferred: 1, elapsedMs: 1, sha256: undefined });
    events.emit('range:retry', { ...ref(8), connection: 2, start: 0, end: 10, attempt: 1, delayMs: 10, reason: 'x' });
  });
  const frame = view.frame();
  assert.equal(frame.files[0]?.title, 'dir/f7.bin  5 B · 0 B/s · ETA --');
  assert.match(frame.files[1]?.title ?? '', /^dir\/f8\.bin .*#2 retry 1: x$/);
  assert.equal(frame.done, '1 done');
});
