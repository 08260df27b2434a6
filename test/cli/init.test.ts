/** `pdl init`: a starter job that validates, the schema its first line names, and nothing of the user's replaced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jobSchemaText } from '../../src/job/schema.js';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/job.js';

test('pdl init writes jobs.yaml and pdl.schema.json beside it; the job validates and names that schema', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['init'], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assertCleanStderr(result.stderr);
  assert.match(result.stdout, /wrote jobs\.yaml and pdl\.schema\.json/);
  assert.deepEqual((await readdir(dir)).sort(), ['jobs.yaml', 'pdl.schema.json']);
  const job = await readFile(join(dir, 'jobs.yaml'), 'utf8');
  assert.equal(job.split('\n')[0], '# yaml-language-server: $schema=./pdl.schema.json');
  assert.equal(await readFile(join(dir, 'pdl.schema.json'), 'utf8'), jobSchemaText());
  const validate = await runCli(['validate', 'jobs.yaml'], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /2 files/);
});

test('pdl init <path> writes into that folder', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'mirror'));
  const result = await runCli(['init', 'mirror/nightly.yaml'], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((await readdir(join(dir, 'mirror'))).sort(), ['nightly.yaml', 'pdl.schema.json']);
  const missing = await runCli(['init', 'nowhere/jobs.yaml'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^pdl: init: the folder of nowhere\/jobs\.yaml does not exist\n$/);
});

test('pdl init never replaces an existing file without --force, and then writes neither', async (t) => {
  for (const existing of ['jobs.yaml', 'pdl.schema.json']) {
    const dir = await tempDir(t);
    await writeFile(join(dir, existing), 'mine\n');
    const result = await runCli(['init'], { cwd: dir });
    assert.equal(result.code, 2, result.stderr);
    assertCleanStderr(result.stderr);
    assert.equal(result.stderr, `pdl: init: ${existing} already exists; nothing was written (--force replaces it)\n`);
    assert.deepEqual(await readdir(dir), [existing]);
    assert.equal(await readFile(join(dir, existing), 'utf8'), 'mine\n');

    const forced = await runCli(['init', '--force'], { cwd: dir });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ['jobs.yaml', 'pdl.schema.json']);
    assert.notEqual(await readFile(join(dir, existing), 'utf8'), 'mine\n');
  }
});

test('pdl --help lists init; pdl init --help explains it', async () => {
  assert.match((await runCli(['--help'])).stdout, /pdl init \[jobs\.yaml\] \[--force\]/);
  const help = await runCli(['init', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /never replaced/);
});
