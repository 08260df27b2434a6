/**
 * A synthetic engine run for the reporter tests: 200 files, 4 started per tick and each done after 4 ticks
 * (so 12 in flight between ticks once under way), every 4th file on 3 connections,
 * 7 failures, 5 skips and a retry, emitted over ~1 s of real time. Also a program for the pseudo-terminal
 * smoke test: `node synthetic-run.js --run` drives the real tty reporter on this process's stderr.
 * Inert when the test runner loads it without `--run`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineEmitter, type FileResult, type RunSummary } from '../../src/engine/events.js';
import { createReporter } from '../../src/report/index.js';

export const FILES = 200;
export const STARTS_PER_TICK = 4;
export const FAILED = new Set([10, 20, 30, 40, 50, 60, 70]);
export const SKIPPED = new Set([3, 4, 5, 6, 7]);
export const MULTI = (index: number): boolean => index % 4 === 0;
const SIZE = 1024 * 1024;
const TICKS_PER_FILE = 4;

export const pathOf = (index: number): string => `data/file-${String(index).padStart(4, '0')}.bin`;
export const reasonOf = (index: number): string => `HTTP 404 Not Found for file ${index}`;

/** Feed the whole run into `events`, one tick every `tickMs`; returns the summary the engine would return. */
export async function feedSyntheticRun(events: EngineEmitter, tickMs = 5): Promise<RunSummary> {
  const results: FileResult[] = [];
  const active = new Map<number, number>();
  let next = 0;
  let transferred = 0;
  events.emit('run:start', { files: FILES, totalBytes: FILES * SIZE, startedAt: Date.now() });
  for (let tick = 0; results.length < FILES && tick < 10_000; tick += 1) {
    for (let started = 0; started < STARTS_PER_TICK && next < FILES; started += 1) {
      const ref = { index: next, path: pathOf(next), url: `http://127.0.0.1/${next}` };
      events.emit('file:start', { ...ref, size: SIZE, resumedBytes: 0, ranges: MULTI(next) });
      active.set(next, 0);
      next += 1;
    }
    for (const [index, age] of [...active]) {
      const ref = { index, path: pathOf(index), url: `http://127.0.0.1/${index}` };
      const done = Math.round((SIZE * (age + 1)) / TICKS_PER_FILE);
      transferred += SIZE / TICKS_PER_FILE;
      const connections = MULTI(index)
        ? [0, 1, 2].map((c) => ({ connection: c + 1, start: (c * SIZE) / 3, end: ((c + 1) * SIZE) / 3, position: (c * SIZE) / 3 + done / 3, speed: 1e6 }))
        : [];
      events.emit('file:progress', { ...ref, transferred: done, completedBytes: done, total: SIZE, speed: 3e6, connections });
      if (index === 1 && age === 0) events.emit('file:retry', { ...ref, attempt: 2, delayMs: 1200, reason: 'ECONNRESET' });
      if (age + 1 < TICKS_PER_FILE) {
        active.set(index, age + 1);
        continue;
      }
      active.delete(index);
      results.push(finish(events, ref));
    }
    const failed = results.filter((r) => r.outcome === 'failed').length;
    events.emit('run:progress', {
      filesDone: results.length - failed, filesFailed: failed, filesTotal: FILES,
      transferred, totalBytes: FILES * SIZE, speed: 40e6, active: active.size,
    });
    await sleep(tickMs);
  }
  const count = (o: FileResult['outcome']) => results.filter((r) => r.outcome === o).length;
  const summary: RunSummary = {
    files: results, done: count('downloaded'), skipped: count('skipped'), unchanged: count('unchanged'), failed: count('failed'),
    interrupted: 0, transferred, elapsedMs: 1234, speed: 40e6, stopped: undefined,
  };
  events.emit('run:done', summary);
  return summary;
}

function finish(events: EngineEmitter, ref: { index: number; path: string; url: string }): FileResult {
  const base = { ...ref, size: SIZE, elapsedMs: 30, sha256: undefined };
  if (FAILED.has(ref.index)) {
    const error = { code: 'E_HTTP_STATUS', kind: 'protocol', message: reasonOf(ref.index) };
    events.emit('file:failed', { ...ref, error, transferred: 0, elapsedMs: 30, stoppedAt: 'probe' });
    return { ...base, outcome: 'failed', transferred: 0, completedBytes: 0, error };
  }
  const outcome = SKIPPED.has(ref.index) ? 'skipped' : 'downloaded';
  events.emit('file:done', { ...ref, outcome, size: SIZE, transferred: SIZE, elapsedMs: 30, sha256: undefined });
  return { ...base, outcome, transferred: SIZE, completedBytes: SIZE, error: undefined };
}

/** A stream stand-in that records every write; `tty` makes it look like a terminal of that size. */
export function capture(tty?: { columns: number; rows: number }) {
  const chunks: string[] = [];
  const stream = {
    ...(tty === undefined ? {} : { isTTY: true, ...tty }),
    write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    },
  };
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    chunks,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter((line) => line !== ''),
  };
}

if (process.argv.includes('--run')) {
  const events = new EngineEmitter();
  const reporter = await createReporter('tty', {
    out: process.stdout, err: process.stderr, quiet: false, verbose: false, timestamps: false,
  });
  reporter.attach(events);
  const summary = await feedSyntheticRun(events, 20);
  await reporter.end(summary);
}
