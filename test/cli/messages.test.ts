/** Honest messages: no resume promised where nothing can be resumed; the one-connection fallback said once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli, startCli, until } from '../helpers/cli.js';
import { fixture, MiB } from '../helpers/engine.js';

const NO_RANGES = /does not accept byte ranges/g;

test('a server without byte ranges: --max-runtime says the file starts over, never "run again to resume"', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/whole.bin', { size: 4 * MiB, throttle: 1 * MiB, acceptRanges: false });
  const result = await runCli(['get', url, '-o', join(dir, 'whole.bin'), '-c', '8', '--max-runtime', '700ms']);
  assert.equal(result.code, 8, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.doesNotMatch(result.stdout + result.stderr, /to resume/);
  assert.match(result.stdout, /interrupted whole\.bin: cannot be resumed .*the next run starts it over/);
  assert.match(result.stdout, /run the same command again; it starts those files over/);
  assert.equal((result.stderr.match(NO_RANGES) ?? []).length, 1, `the one-connection fallback is said once:\n${result.stderr}`);
  assert.deepEqual(await readdir(dir), [], 'nothing kept: the message matches the disk');
});

test('a server without byte ranges: Ctrl-C says the same', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/whole.bin', { size: 8 * MiB, throttle: 1 * MiB, acceptRanges: false });
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\n  connections: 8\nfiles:\n  - ${url}\n`);
  const run = startCli(['run', job, '--reporter', 'plain']);
  await until(async () => server.stats.bytesServed > 0);
  run.child.kill('SIGINT');
  const result = await run.result;
  assert.equal(result.code, 130, result.stdout + result.stderr);
  assert.doesNotMatch(result.stdout + result.stderr, /to resume/);
  assert.match(result.stdout, /cannot be resumed/);
  assert.equal((result.stderr.match(NO_RANGES) ?? []).length, 1);
});

test('a server with byte ranges: the stop is resumable and says so', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/parts.bin', { size: 4 * MiB, throttle: 1 * MiB });
  const result = await runCli(['get', url, '-o', join(dir, 'parts.bin'), '-c', '2', '--min-split-size', '256KiB', '--max-runtime', '700ms']);
  assert.equal(result.code, 8, result.stdout + result.stderr);
  assert.match(result.stdout, /run the same command again to resume/);
  assert.doesNotMatch(result.stdout + result.stderr, NO_RANGES);
});
