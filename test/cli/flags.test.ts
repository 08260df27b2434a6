/** One flag vocabulary: the flags `pdl get` and `pdl run` share mean the same, and errors name the flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { fixture, KiB, MiB, sha256 } from '../helpers/engine.js';
import type { RunReport } from '../../src/report/run-report.js';

async function jobFile(dir: string, defaults: string, entries: string[]): Promise<string> {
  const path = join(dir, 'jobs.yaml');
  await writeFile(path, `version: 1\ndefaults:\n  dir: ./out\n${defaults}files:\n${entries.join('\n')}\n`);
  return path;
}

test('pdl run --retries overrides the job for every file', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/flaky.bin', { size: 10 * KiB, faults: [{ type: 'status', status: 500, attempts: [1] }] });
  const job = await jobFile(dir, '  retries: 3\n', [`  - url: ${url}\n    retries: 3`]);
  const result = await runCli(['run', job, '--retries', '0', '--reporter', 'plain']);
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.equal(server.stats.requestsByPath['/flaky.bin'], 1, 'no retry: --retries 0 won over the job');
});

test('pdl run -c overrides each file\'s connections', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/big.bin', { size: 2 * MiB, throttle: 8 * MiB });
  const job = await jobFile(dir, '  connections: 8\n  minSplitSize: 64KiB\n', [`  - url: ${url}\n    connections: 8`]);
  const result = await runCli(['run', job, '-c', '1', '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(server.stats.requestsByPath['/big.bin'], 1, 'one connection, one request');
  assert.equal(sha256(await readFile(join(dir, 'out', 'big.bin'))), server.file('/big.bin').sha256);
});

test('pdl run --timeout overrides the job: a stalled connection is dropped and retried', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/stall.bin', { size: 100 * KiB, faults: [{ type: 'stall', afterBytes: 1000, attempts: [1] }] });
  // The job's 10 min timeout would outlast the test; --timeout 300ms makes the retry happen at once.
  const job = await jobFile(dir, '  timeout: 10m\n  connections: 1\n', [`  - ${url}`]);
  const result = await runCli(['run', job, '--timeout', '300ms', '--retries', '1', '--reporter', 'plain'], { timeoutMs: 20_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(server.stats.requestsByPath['/stall.bin'], 2);
  assert.equal(sha256(await readFile(join(dir, 'out', 'stall.bin'))), server.file('/stall.bin').sha256);
});

test('pdl run --dry-run shows -c, --max-connections and --rate applied', async (t) => {
  const { server, dir } = await fixture(t);
  const job = await jobFile(dir, '', [`  - ${server.addFile('/a.bin', { size: 10 })}`]);
  const result = await runCli(['run', job, '--dry-run', '-c', '3', '--max-connections', '5', '--rate', '2MiB']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /limits: 4 files, 5 connections, 8 per host, rate 2\.0 MiB\/s/);
  assert.match(result.stdout, /3 connections, no checksum/);
  assert.equal(server.requests.length, 0);
});

test('pdl get --dry-run and --rate: the plan, no request', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/one.bin', { size: 10 });
  const result = await runCli(['get', url, '--dry-run', '--rate', '256KiB', '-c', '2', '-o', join(dir, 'x.bin')]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /rate 256\.0 KiB\/s/);
  assert.match(result.stdout, /x\.bin\n.*\n\s+2 connections/);
  assert.equal(server.requests.length, 0);
  assert.deepEqual(await readdir(dir), []);
});

test('pdl get --report writes the same report as pdl run', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/r.bin', { size: 3000 });
  const report = join(dir, 'report.json');
  const result = await runCli(['get', url, '-o', join(dir, 'r.bin'), '--report', report, '--rate', '1MiB']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const parsed = JSON.parse(await readFile(report, 'utf8')) as RunReport;
  assert.equal(parsed.exitCode, 0);
  assert.equal(parsed.job, null);
  assert.deepEqual(parsed.files.map((f) => [f.path, f.status, f.size]), [['r.bin', 'downloaded', 3000]]);
});

test('pdl get --max-runtime stops cleanly with exit 8; the next run resumes', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/slow.bin', { size: 4 * MiB, throttle: 1 * MiB });
  const out = join(dir, 'slow.bin');
  const first = await runCli(['get', url, '-o', out, '-c', '2', '--min-split-size', '256KiB', '--max-runtime', '700ms']);
  assert.equal(first.code, 8, first.stdout + first.stderr);
  assert.match(first.stdout, /stopped by max-runtime/);
  assert.match(first.stdout, /run the same command again to resume/);
  const served = server.stats.bytesServed;
  const second = await runCli(['get', url, '-o', out, '-c', '4', '--min-split-size', '256KiB']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.equal(sha256(await readFile(out)), server.file('/slow.bin').sha256);
  assert.ok(server.stats.bytesServed - served < 4 * MiB, 'the second run fetched only what was missing');
});

test('pdl get speaks in flags: -o/--output for a URL without a file name, --rate and --timeout by name', async (t) => {
  const { server, dir } = await fixture(t);
  const cases: Array<[string[], RegExp]> = [
    [['get', `${server.origin}/`], /url: cannot derive a file name from the URL; name the output file with -o\/--output/],
    [['get', server.url('/a.bin'), '--rate', 'fast'], /--rate: /],
    [['get', server.url('/a.bin'), '--timeout', '1'], /--timeout: /],
    [['get', server.url('/a.bin'), '--max-runtime', '0'], /--max-runtime: expected a duration above 0/],
    [['get', server.url('/a.bin'), '--report', join(dir, 'no', 'r.json')], /--report: .* is not an existing folder/],
    [['run', 'jobs.yaml', '--timeout', 'soon'], /--timeout: /],
    [['run', 'jobs.yaml', '-c', '0'], /--connections: expected a whole number from 1 to 64, got "0"/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, { cwd: dir });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.doesNotMatch(result.stderr, /path:/, 'no job-file key in a get message');
    assertCleanStderr(result.stderr);
  }
  assert.equal(server.requests.length, 0);
});

test('help texts list the shared options', async () => {
  const get = await runCli(['get', '--help']);
  const run = await runCli(['run', '--help']);
  for (const flag of ['--rate', '--max-runtime', '--report', '--dry-run', '-c, --connections', '--timeout', '--retries']) {
    assert.ok(get.stdout.includes(flag), `get --help names ${flag}`);
    assert.ok(run.stdout.includes(flag), `run --help names ${flag}`);
  }
  assert.match(run.stdout, /stdout/);
});

test('pdl run --only with braces and classes', async (t) => {
  const { server, dir } = await fixture(t);
  const names = ['disk.iso', 'card.img', 'linux.bin', 'mac.bin', 'win.bin'];
  const job = await jobFile(dir, '', names.map((name) => `  - ${server.addFile(`/${name}`, { size: 10 })}`));
  const images = await runCli(['run', job, '--dry-run', '--only', '*.{iso,img}']);
  assert.equal(images.code, 0, images.stderr);
  assert.match(images.stdout, /2 files in start order/);
  assert.match(images.stdout, /disk\.iso/);
  assert.match(images.stdout, /card\.img/);
  const lm = await runCli(['run', job, '--dry-run', '--only', '[lm]*.bin']);
  assert.equal(lm.code, 0, lm.stderr);
  assert.match(lm.stdout, /2 files in start order/);
  assert.doesNotMatch(lm.stdout, /win\.bin/);
  const notWin = await runCli(['run', job, '--dry-run', '--only', '*.bin', '--only', '!win*']);
  assert.match(notWin.stdout, /2 files in start order/);
});
