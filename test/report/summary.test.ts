import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileResult, RunSummary } from '../../src/engine/events.js';
import { formatSummary, RESUME_HINT } from '../../src/report/summary.js';

const MiB = 1024 * 1024;

function file(index: number, outcome: FileResult['outcome'], extra: Partial<FileResult> = {}): FileResult {
  return {
    index, path: `f${index}.bin`, url: `http://127.0.0.1/${index}`, outcome, size: MiB,
    transferred: MiB, completedBytes: outcome === 'failed' ? 0 : MiB, elapsedMs: 10, sha256: undefined, error: undefined, ...extra,
  };
}

function summary(files: FileResult[], extra: Partial<RunSummary> = {}): RunSummary {
  const count = (o: FileResult['outcome']) => files.filter((f) => f.outcome === o).length;
  return {
    files, done: count('downloaded') + count('resumed'), skipped: count('skipped'), unchanged: count('unchanged'), failed: count('failed'),
    interrupted: count('interrupted'), transferred: 1.2 * 1024 * MiB, elapsedMs: 34_500, speed: 35.6 * MiB,
    stopped: undefined, ...extra,
  };
}

const notFound = { code: 'E_HTTP_STATUS', kind: 'protocol', message: 'HTTP 404 Not Found' };

test('a clean run is one totals line', () => {
  const text = formatSummary(summary([file(0, 'downloaded'), file(1, 'skipped')]));
  assert.equal(text, '1 done, 1 skipped, 0 failed, 1.2 GiB in 34.5s (35.6 MiB/s)');
});

test('failed files get one line each with their reason', () => {
  const text = formatSummary(summary([file(0, 'downloaded'), file(1, 'failed', { error: notFound }), file(2, 'failed')]));
  assert.deepEqual(text.split('\n'), [
    '1 done, 0 skipped, 2 failed, 1.2 GiB in 34.5s (35.6 MiB/s)',
    'FAILED f1.bin: HTTP 404 Not Found [http://127.0.0.1/1, stopped at 0 of 1048576 bytes]',
    'FAILED f2.bin: failed [http://127.0.0.1/2, stopped at 0 of 1048576 bytes]',
  ]);
});

test('interrupted files are listed and followed by the resume hint', () => {
  const files = [file(0, 'interrupted', { transferred: 4 * MiB }), file(1, 'interrupted', { transferred: 0 })];
  const lines = formatSummary(summary(files, { stopped: 'SIGINT' })).split('\n');
  assert.deepEqual(lines, [
    '0 done, 0 skipped, 0 failed, 2 interrupted, 1.2 GiB in 34.5s (35.6 MiB/s)',
    'stopped by SIGINT',
    'interrupted f0.bin (4.0 MiB fetched this run)',
    'interrupted f1.bin',
    RESUME_HINT,
  ]);
});

test('a limit lists the first failures and counts the rest', () => {
  const files = Array.from({ length: 30 }, (_, i) => file(i, 'failed', { error: notFound }));
  const lines = formatSummary(summary(files), { limit: 3 }).split('\n');
  assert.equal(lines.length, 5);
  assert.equal(lines[1], 'FAILED f0.bin: HTTP 404 Not Found [http://127.0.0.1/0, stopped at 0 of 1048576 bytes]');
  assert.equal(lines[4], '… and 27 more failed');
  assert.equal(formatSummary(summary(files)).split('\n').length, 31, 'no limit lists every failure');
});
