/**
 * Values the CLI must refuse as usage or job-file errors (exit 2, one clear line each, never a stack): numbers that
 * overflow once their unit is applied, names too long for pdl's companion files, and unknown flags under --verbose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { tempDir } from '../helpers/job.js';
import { MAX_OUTPUT_NAME_BYTES } from '../../src/storage/companion-names.js';

// Nothing listens there: every case must stop before any request.
const URL = 'http://127.0.0.1:9/file.bin';

test('pdl get --verbose with an unknown flag: exit 2, one line, no stack trace', async () => {
  const result = await runCli(['get', '--verbose', '--bogus']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /Unknown option '--bogus'/);
  assert.doesNotMatch(result.stderr, /^ {4}at /m);
  assertCleanStderr(result.stderr);
});

test('pdl run --verbose with a bad --files value: exit 2, no stack trace', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'job.yaml'), `version: 1\nfiles: [${URL}]\n`);
  const result = await runCli(['run', '--verbose', '--files', 'many', join(dir, 'job.yaml')]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--files: expected a whole number/);
  assert.doesNotMatch(result.stderr, /^ {4}at /m);
});

test('flags whose value overflows once the unit is applied are usage errors (exit 2) naming the flag', async (t) => {
  const dir = await tempDir(t);
  const job = join(dir, 'job.yaml');
  await writeFile(job, `version: 1\nfiles: [${URL}]\n`);
  const cases: Array<[string[], RegExp]> = [
    [['get', '--timeout', '99999999999999999999h', URL], /^pdl: --timeout: expected a duration from 100ms to 24h such as 30s, got "99999999999999999999h"$/m],
    [['get', '--min-split-size', '99999999999999999999TiB', URL], /^pdl: --min-split-size: expected a size from 64KiB to 1TiB such as 4MiB, got "99999999999999999999TiB"$/m],
    // Out of range: the job file's words, for run as for get (not "64.0 KiB" or "24h00m").
    [['run', '--timeout', '50ms', job], /^pdl: --timeout: expected a duration from 100ms to 24h such as 30s, got "50ms"$/m],
    [['run', '--min-split-size', '1KiB', job], /^pdl: --min-split-size: expected a size from 64KiB to 1TiB such as 4MiB, got "1KiB"$/m],
    [['get', '--timeout', '50ms', URL], /^pdl: --timeout: expected a duration from 100ms to 24h such as 30s, got "50ms"$/m],
    [['get', '--timeout', '1.5', URL], /^pdl: --timeout: expected a duration .*, got "1\.5" \(whole milliseconds without a unit\)$/m],
    [['run', '--rate', '99999999999999999999999TiB', job], /^pdl: --rate: expected 0 \(unlimited\) or a rate from 1KiB\/s to 1TiB\/s such as 50MiB, got "99999999999999999999999TiB"$/m],
    [['run', '--rate', '2TiB', job], /^pdl: --rate: expected 0 \(unlimited\) or a rate from 1KiB\/s to 1TiB\/s/m],
    [['lock', '--rate', '99999999999999999999999TiB', job], /^pdl: --rate: expected 0 \(unlimited\) or a rate from 1KiB\/s to 1TiB\/s/m],
    [['run', '--max-runtime', '99999999999999999999h', job], /^pdl: --max-runtime: /m],
    [['run', '--max-runtime', '25d', job], /^pdl: --max-runtime: /m],
    [['run', '--max-runtime', '600h', job], /^pdl: --max-runtime: expected a duration above 0 and at most 24 days/m],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, { cwd: dir });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.doesNotMatch(result.stderr, /internal error/);
    assertCleanStderr(result.stderr);
  }
  assert.deepEqual((await readdir(dir)).sort(), ['job.yaml'], 'nothing was written');
});

test('pdl validate lists an overflowing timeout and rate together with the other problems, at their line:column', async (t) => {
  const dir = await tempDir(t);
  const job = join(dir, 'job.yaml');
  await writeFile(
    job,
    [
      'version: 1',
      'defaults:',
      '  timeout: 99999999999999999999h',
      '  retries: lots',
      'limits:',
      '  rate: 99999999999999999999999TiB',
      'files:',
      `  - url: ${URL}`,
      '    minSplitSize: 99999999999999999999TiB',
      '',
    ].join('\n'),
  );
  const result = await runCli(['validate', job]);
  assert.equal(result.code, 2, result.stderr);
  assertCleanStderr(result.stderr);
  const lines = result.stderr.split('\n').filter((line) => line.includes('job.yaml:'));
  assert.deepEqual(lines.map((line) => line.replace(/^.*job\.yaml:/, 'job.yaml:')), [
    'job.yaml:3:12 defaults.timeout: expected a duration from 100ms to 24h such as 30s, got "99999999999999999999h"',
    'job.yaml:4:12 defaults.retries: expected an integer from 0 to 100, got "lots"',
    'job.yaml:6:9 limits.rate: expected 0 (unlimited) or a rate from 1KiB/s to 1TiB/s such as 50MiB, got "99999999999999999999999TiB"',
    'job.yaml:9:19 files[0].minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got "99999999999999999999TiB"',
  ]);
});

test('names too long for the .part/.pdl companions are refused by validate and by get -o, with the limit', async (t) => {
  const dir = await tempDir(t);
  const longest = 'a'.repeat(MAX_OUTPUT_NAME_BYTES);
  const tooLong = 'b'.repeat(MAX_OUTPUT_NAME_BYTES + 1);
  // 2-byte characters: the limit is in bytes, not characters.
  const wide = 'é'.repeat(Math.floor(MAX_OUTPUT_NAME_BYTES / 2) + 1);
  const job = join(dir, 'job.yaml');
  await writeFile(
    job,
    ['version: 1', 'files:', `  - url: ${URL}`, `    path: sub/${tooLong}`, `  - url: ${URL}`, `    path: ${longest}`, `  - url: http://127.0.0.1:9/${wide}`, ''].join('\n'),
  );
  const validate = await runCli(['validate', job]);
  assert.equal(validate.code, 2, validate.stderr);
  assertCleanStderr(validate.stderr);
  const lines = validate.stderr.split('\n').filter((line) => line.includes('job.yaml:'));
  assert.equal(lines.length, 2, validate.stderr);
  assert.match(lines[0]!, new RegExp(`job\\.yaml:4:11 files\\[0\\]\\.path: .*longer than ${MAX_OUTPUT_NAME_BYTES} bytes`));
  assert.match(lines[1]!, new RegExp(`job\\.yaml:7:10 files\\[2\\]\\.url: .*longer than ${MAX_OUTPUT_NAME_BYTES} bytes`));

  const get = await runCli(['get', '-o', join(dir, tooLong), URL]);
  assert.equal(get.code, 2, get.stderr);
  assertCleanStderr(get.stderr);
  assert.match(get.stderr, new RegExp(`^pdl: -o/--output: .*longer than ${MAX_OUTPUT_NAME_BYTES} bytes`, 'm'));
  assert.deepEqual((await readdir(dir)).sort(), ['job.yaml']);
});

test('the longest accepted name keeps its .part and control file through a failure and completes on the rerun', async (t) => {
  const server = await startFixtureServer();
  t.after(() => server.close());
  const dir = await tempDir(t);
  const name = 'n'.repeat(MAX_OUTPUT_NAME_BYTES);
  const url = server.addFile('/cut.bin', { size: 256 * 1024, faults: [{ type: 'reset', afterBytes: 100 * 1024, firstN: 1 }] });
  const first = await runCli(['get', url, '-c', '1', '--retries', '0', '-o', join(dir, name)]);
  assert.equal(first.code, 4, first.stderr + first.stdout);
  assert.doesNotMatch(first.stderr + first.stdout, /ENAMETOOLONG/);
  assert.deepEqual((await readdir(dir)).sort(), [`${name}.part`, `${name}.pdl`]);

  const second = await runCli(['get', url, '-c', '1', '-o', join(dir, name)]);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assertCleanStderr(second.stderr);
  assert.deepEqual(await readdir(dir), [name]);
  assert.equal(createHash('sha256').update(await readFile(join(dir, name))).digest('hex'), server.file('/cut.bin').sha256);
});
