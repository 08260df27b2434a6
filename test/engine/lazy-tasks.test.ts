/**
 * A file's task (meter, progress, claim, source, report) is made when the file starts, not for every file up front:
 * a big job must still tell every file to the reporters and account for every one in the summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { EngineEmitter } from '../../src/engine/events.js';
import { runTransfers } from '../../src/engine/run.js';
import { createDispatcher } from '../../src/http/agent.js';
import { prepareRun } from '../../src/run-job.js';
import { makeJob } from '../helpers/job.js';
import { fixture, KiB, run } from '../helpers/engine.js';

test('every file of a big job is queued, told and summed, though tasks are made only as files start', async (t) => {
  const { server, dir } = await fixture(t);
  const urls = server.addFiles('/f/', 300, (i) => ({ size: KiB + i })).map((path) => server.url(path));
  // One file the server does not have: it fails, the others still complete.
  urls[150] = server.url('/f/missing.bin');
  const job = makeJob(dir, urls.map((url) => ({ url, retries: 0 })), { files: 4 });
  const { summary, of } = await run(job);
  assert.equal(summary.files.length, 300);
  assert.deepEqual(summary.files.map((f) => f.index), job.files.map((f) => f.index));
  assert.deepEqual(summary.files.map((f) => [f.path, f.url]), job.files.map((f) => [f.relPath, f.displayUrl]));
  assert.deepEqual([summary.done, summary.failed, summary.interrupted], [299, 1, 0]);
  assert.equal(summary.files[150]?.outcome, 'failed');
  assert.deepEqual(of('file:queued').map((e) => [e.index, e.path, e.url, e.priority]), job.files.map((f) => [f.index, f.relPath, f.displayUrl, 0]));
  assert.equal(of('file:done').length, 299);
  // Every byte of every settled file counts, not only those of files still in flight at the end.
  const expected = job.files.reduce((sum, f, i) => sum + (i === 150 ? 0 : KiB + i), 0);
  assert.equal(summary.transferred, expected);
  assert.equal(summary.files.reduce((sum, f) => sum + f.transferred, 0), expected);
  assert.equal((await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.bin')).length, 299);
});

test('files never started are reported interrupted with their path and URL, and never got a task', async (t) => {
  const { server, dir } = await fixture(t);
  const urls = server.addFiles('/g/', 200, { size: KiB }).map((path) => server.url(path));
  urls[0] = server.url('/g/missing.bin');
  const job = makeJob(dir, urls.map((url) => ({ url, retries: 0 })), { files: 1 });
  const events = new EngineEmitter();
  const dispatcher = createDispatcher({ perHost: 4 });
  t.after(() => dispatcher.close());
  const prepared = await prepareRun(job, { dispatcher, events });
  t.after(() => prepared.close());
  const sourced: number[] = [];
  const summary = await runTransfers(job, {
    events,
    failFast: true,
    hooks: prepared.hooks,
    source: (file) => (sourced.push(file.index), prepared.source(file)),
  });
  assert.equal(summary.stopped, 'abort');
  assert.equal(summary.files.length, 200);
  assert.equal(summary.files[0]?.outcome, 'failed');
  const interrupted = summary.files.filter((f) => f.outcome === 'interrupted');
  assert.equal(interrupted.length, 200 - sourced.length);
  for (const f of interrupted) assert.deepEqual([f.path, f.url, f.transferred], [job.files[f.index]?.relPath, job.files[f.index]?.displayUrl, 0]);
  // Only files that started asked for a source: one at a time, stopped at the first failure.
  assert.ok(sourced.length < 10, `sources made for ${sourced.length} files`);
});
