/** Output that logs and pipes well: progress on stderr, the result (summary, failures) on stdout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/engine.js';

async function mixedJob(t: Parameters<typeof fixture>[0]) {
  const { server, dir } = await fixture(t);
  const job = join(dir, 'jobs.yaml');
  const entries = [`  - ${server.addFile('/ok.bin', { size: 1000 })}`, `  - ${server.url('/missing.bin')}`];
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\n  retries: 0\nfiles:\n${entries.join('\n')}\n`);
  return { server, dir, job };
}

test('plain: stdout holds the summary and the failure list only; progress lines are on stderr', async (t) => {
  const { job } = await mixedJob(t);
  const result = await runCli(['run', job, '--reporter', 'plain']);
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  const out = result.stdout.trim().split('\n').map((line) => line.replace(/^\S+Z /, ''));
  assert.equal(out.length, 2, result.stdout);
  assert.match(out[0]!, /^1 done, 0 skipped, 1 failed, /);
  assert.match(out[1]!, /^FAILED missing\.bin: HTTP 404/);
  assert.match(result.stderr, /start\s+ok\.bin/);
  assert.match(result.stderr, /done\s+ok\.bin/);
  assert.match(result.stderr, /FAILED missing\.bin/, 'the failure is also logged as it happens');
});

test('--quiet: the failure as it happens on stderr, the summary on stdout', async (t) => {
  const { job } = await mixedJob(t);
  const result = await runCli(['run', job, '--quiet']);
  assert.equal(result.code, 4);
  assert.doesNotMatch(result.stderr, /done\s+ok\.bin/);
  assert.match(result.stderr, /FAILED missing\.bin/);
  assert.match(result.stdout, /1 done, 0 skipped, 1 failed/);
});

test('--reporter json: every stdout line parses, the summary carries the exit code and --report\'s words', async (t) => {
  const { dir, job } = await mixedJob(t);
  const report = join(dir, 'report.json');
  const result = await runCli(['run', job, '--reporter', 'json', '--report', report]);
  assert.equal(result.code, 4, result.stderr);
  assert.equal(result.stderr, '', 'nothing but JSON, and all of it on stdout');
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(lines.every((line) => typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time as string))));
  const start = lines.find((line) => line.event === 'run:start')!;
  assert.match(String(start.startedAt), /^\d{4}-\d\d-\d\dT/, 'an ISO time, not epoch milliseconds');
  const done = lines.find((line) => line.event === 'file:done')!;
  assert.equal(done.status, 'downloaded');
  assert.equal(done.outcome, undefined);
  const failed = lines.find((line) => line.event === 'file:failed')!;
  assert.equal(typeof failed.completedBytes, 'number');
  assert.equal(failed.stoppedAt, undefined, 'byte counts are numbers, not text');
  const summary = lines.at(-1)!;
  assert.equal(summary.event, 'summary');
  assert.equal(summary.exitCode, 4);
  const { version: _v, job: _j, startedAt: _s, finishedAt: _f, error: _e, ...fromReport } = JSON.parse(await readFile(report, 'utf8')) as Record<string, unknown>;
  const { event: _ev, time: _t, ...fromSummary } = summary;
  const elapsed = (value: unknown) => JSON.parse(JSON.stringify(value).replace(/"elapsedMs":\d+/g, '"elapsedMs":0')) as unknown;
  assert.deepEqual(elapsed(fromSummary), elapsed(fromReport), 'the summary line and the report say the same, in the same words');
  assert.doesNotMatch(result.stdout, /:-1[,}\]]/, 'no -1 sentinel anywhere');
});
