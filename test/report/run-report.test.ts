import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileResult, RunSummary } from '../../src/engine/events.js';
import { buildRunReport, writeRunReport } from '../../src/report/run-report.js';
import { makeJob, tempDir } from '../helpers/job.js';

const SECRET = 'hunter2-secret';

function result(index: number, fields: Partial<FileResult>): FileResult {
  return { index, path: `f${index}.bin`, url: `https://example.org/f${index}.bin`, outcome: 'downloaded', size: 10, transferred: 10, completedBytes: 10, elapsedMs: 5, sha256: 'ab', error: undefined, ...fields };
}

test('buildRunReport maps every outcome and masks secrets even if one slipped into a message', () => {
  const job = { ...makeJob('/out', [{ url: 'https://example.org/f0.bin', secrets: [SECRET] }, { url: 'https://example.org/f1.bin' }]), source: '/jobs/jobs.yaml' };
  const files: FileResult[] = [
    result(0, { outcome: 'failed', size: undefined, sha256: undefined, error: { code: 'E_HTTP_STATUS', kind: 'network', message: `HTTP 403 for key ${SECRET}` } }),
    result(1, { outcome: 'resumed' }),
    result(2, { outcome: 'skipped', transferred: 0 }),
    result(3, { outcome: 'interrupted', size: undefined, sha256: undefined }),
  ];
  const summary: RunSummary = { files, done: 1, skipped: 1, unchanged: 0, failed: 1, interrupted: 1, transferred: 20, elapsedMs: 99, speed: 0, stopped: 'max-runtime' };
  const report = buildRunReport({ job, summary, startedAt: new Date(0), finishedAt: new Date(1000), exitCode: 8 });
  assert.equal(report.job, '/jobs/jobs.yaml');
  assert.equal(report.startedAt, '1970-01-01T00:00:00.000Z');
  assert.equal(report.finishedAt, '1970-01-01T00:00:01.000Z');
  assert.equal(report.stopped, 'max-runtime');
  assert.equal(report.exitCode, 8);
  assert.deepEqual(report.totals, { done: 1, skipped: 1, unchanged: 0, failed: 1, interrupted: 1, transferred: 20, elapsedMs: 99 });
  assert.deepEqual(report.files.map((f) => f.status), ['failed', 'resumed', 'skipped', 'interrupted']);
  assert.deepEqual(report.files[0], { path: 'f0.bin', url: 'https://example.org/f0.bin', status: 'failed', size: null, completedBytes: 10, transferred: 10, elapsedMs: 5, sha256: null, error: { code: 'E_HTTP_STATUS', message: 'HTTP 403 for key ***' } });
  assert.ok(!JSON.stringify(report).includes(SECRET));
  assert.equal(buildRunReport({ job, summary: { ...summary, stopped: undefined }, startedAt: new Date(0), finishedAt: new Date(0), exitCode: 1 }).stopped, null);
});

test('writeRunReport replaces an existing report atomically and leaves no temp file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'report.json');
  await writeFile(path, 'old');
  const job = makeJob(dir, [{ url: 'https://example.org/a.bin' }]);
  const summary: RunSummary = { files: [], done: 0, skipped: 0, unchanged: 0, failed: 0, interrupted: 0, transferred: 0, elapsedMs: 0, speed: 0, stopped: undefined };
  await writeRunReport(path, buildRunReport({ job, summary, startedAt: new Date(0), finishedAt: new Date(0), exitCode: 0 }));
  assert.equal((JSON.parse(await readFile(path, 'utf8')) as { version: number }).version, 1);
  assert.deepEqual(await readdir(dir), ['report.json']);
  await assert.rejects(writeRunReport(join(dir, 'missing', 'r.json'), buildRunReport({ job, summary, startedAt: new Date(0), finishedAt: new Date(0), exitCode: 0 })), { code: 'E_IO' });
});
