import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli, startCli } from '../helpers/cli.js';
import { fixture, KiB, sha256 } from '../helpers/engine.js';

/** Writes a job file into `dir` listing `entries` (YAML lines under `files:`). */
async function jobFile(dir: string, entries: string[], extra = ''): Promise<string> {
  const path = join(dir, 'jobs.yaml');
  await writeFile(path, `version: 1\ndefaults:\n  dir: ./out\n  retries: 0\n${extra}files:\n${entries.join('\n')}\n`);
  return path;
}

test('pdl run: plain progress lines on stderr (no ANSI, timestamps), the summary alone on stdout, exit 0; json events parse as data', async (t) => {
  const { server, dir } = await fixture(t);
  const a = server.addFile('/a.bin', { size: 200 * KiB });
  const b = server.addFile('/b.bin', { size: 300 * KiB });
  const job = await jobFile(dir, [`  - ${a}`, `  - url: ${b}\n    priority: 5`], 'limits:\n  files: 1\n');

  const plain = await runCli(['run', job, '--reporter', 'plain']);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assertCleanStderr(plain.stderr);
  assert.ok(!plain.stdout.includes('\x1b') && !plain.stderr.includes('\x1b'), 'no ANSI escapes in plain output');
  const lines = plain.stderr.trim().split('\n');
  assert.ok(lines.every((line) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(line)), 'every line starts with a timestamp');
  assert.ok(lines.some((line) => /done\s+b\.bin/.test(line)));
  const result = plain.stdout.trim().split('\n');
  assert.equal(result.length, 1, `the summary alone is the result: ${plain.stdout}`);
  assert.match(result[0]!, /^\S+Z 2 done, 0 skipped, 0 failed/);
  assert.equal(sha256(await readFile(join(dir, 'out', 'a.bin'))), server.file('/a.bin').sha256);

  await writeFile(job, (await readFile(job, 'utf8')).replace('retries: 0', 'retries: 0\n  ifExists: overwrite'));
  const json = await runCli(['run', job, '--reporter', 'json']);
  assert.equal(json.code, 0);
  const events = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; path?: string; done?: number });
  assert.deepEqual(events.filter((e) => e.event === 'file:done').map((e) => e.path), ['b.bin', 'a.bin'], 'priority 5 first');
  const summary = events.at(-1) as unknown as { event: string; exitCode: number; totals: { done: number } };
  assert.equal(summary.event, 'summary');
  assert.equal(summary.totals.done, 2);
  assert.equal(summary.exitCode, 0);
});

test('pdl run exit codes: 1 for mixed failures, 4 when every failure is a network/HTTP one; --quiet shows only failures', async (t) => {
  const { server, dir } = await fixture(t);
  const ok = server.addFile('/ok.bin', { size: 1000 });
  const wrong = server.addFile('/wrong.bin', { size: 1000 });
  const missing = server.url('/missing.bin');
  const both = await jobFile(dir, [`  - ${ok}`, `  - ${missing}`, `  - url: ${wrong}\n    checksum: sha256:${'0'.repeat(64)}`]);
  const mixed = await runCli(['run', both, '--quiet']);
  assert.equal(mixed.code, 1, mixed.stdout + mixed.stderr);
  assert.ok(!/^\S+ done /m.test(mixed.stdout), 'quiet prints no per-file done lines');
  assert.match(mixed.stdout, /FAILED missing\.bin: HTTP 404/);
  assert.match(mixed.stdout, /FAILED wrong\.bin: checksum mismatch/);

  const onlyNetwork = await jobFile(dir, [`  - ${ok}`, `  - ${missing}`]);
  const network = await runCli(['run', onlyNetwork, '--quiet']);
  assert.equal(network.code, 4, network.stdout + network.stderr);
});

test('pdl run --only, --dir and --dry-run (secrets masked, no network)', async (t) => {
  const { server, dir } = await fixture(t);
  const a = server.addFile('/keep/a.bin', { size: 1000 });
  const b = server.addFile('/skip/b.txt', { size: 1000 });
  const job = await jobFile(dir, [`  - url: ${a}\n    path: keep/a.bin\n    headers: { Authorization: "Bearer \${TOKEN}" }`, `  - url: ${b}\n    path: skip/b.txt`]);
  const env = { TOKEN: 's3cr3t-value' };

  const dry = await runCli(['run', job, '--dry-run'], { env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.ok(!dry.stdout.includes('s3cr3t-value'), 'the expanded secret never appears');
  assert.match(dry.stdout, /\[0\] keep\/a\.bin/);
  assert.match(dry.stdout, /headers: Authorization/);
  assert.equal(server.requests.length, 0, 'a dry run touches no network');

  const other = join(dir, 'elsewhere');
  const only = await runCli(['run', job, '--only', '*.bin', '--dir', other], { env });
  assert.equal(only.code, 0, only.stdout + only.stderr);
  assert.deepEqual(await readdir(other), ['keep']);
  assert.equal(server.requests.every((r) => r.path === '/keep/a.bin'), true);
  assert.equal(server.requests[0]?.headers.authorization, 'Bearer s3cr3t-value');
  assert.ok(!only.stdout.includes('s3cr3t-value'));

  const none = await runCli(['run', job, '--only', 'nothing/*'], { env });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no file of the job matches/);
});

test('pdl validate and schema: exit 0 and 2, every problem with line:column; a closed pipe is not a crash', async (t) => {
  const { dir } = await fixture(t);
  const good = await jobFile(dir, ['  - https://example.org/a.bin']);
  const valid = await runCli(['validate', good]);
  assert.equal(valid.code, 0);
  assert.match(valid.stdout, /jobs\.yaml: 1 file, 1 host \(example\.org: 1\)/);

  const broken = join(dir, 'broken.yaml');
  await writeFile(broken, 'version: 1\nlimits:\n  conection: 4\nfiles:\n  - url: gopher://example.org/x\n    priority: high\n');
  const invalid = await runCli(['validate', broken]);
  assert.equal(invalid.code, 2);
  assertCleanStderr(invalid.stderr);
  assert.match(invalid.stderr, /broken\.yaml:3:3 limits\.conection: unknown key `conection`; did you mean `connections`\?/);
  assert.match(invalid.stderr, /broken\.yaml:5:10 files\[0\]\.url: unsupported scheme gopher/);
  assert.match(invalid.stderr, /broken\.yaml:6:15 files\[0\]\.priority: expected an integer/);

  const schema = await runCli(['schema']);
  assert.equal(schema.code, 0);
  assert.deepEqual(JSON.parse(schema.stdout), JSON.parse(await readFile(new URL('../../../schemas/job.schema.json', import.meta.url), 'utf8')));

  // `pdl schema | head -c 10`: the reader goes away mid-output.
  const piped = startCli(['schema']);
  piped.child.stdout!.once('data', () => piped.child.stdout!.destroy());
  const result = await piped.result;
  assert.equal(result.code, 0, result.stderr);
  assertCleanStderr(result.stderr);
});

test('pdl run --newer: a second run of an unchanged job transfers no body bytes; a changed file is replaced', async (t) => {
  const { server, dir } = await fixture(t);
  const a = server.addFile('/a.bin', { size: 100 * KiB });
  const b = server.addFile('/b.bin', { size: 100 * KiB });
  const job = await jobFile(dir, [`  - ${a}`, `  - ${b}`]);
  assert.equal((await runCli(['run', job, '--newer'])).code, 0);

  server.reset();
  const again = await runCli(['run', job, '--newer', '--reporter', 'plain']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(server.stats.bytesServed, 0, 'nothing was downloaded again');
  assert.match(again.stdout, /2 unchanged/);

  server.reset();
  server.setVersion('/b.bin', 2);
  const changed = await runCli(['run', job, '--newer']);
  assert.equal(changed.code, 0, changed.stdout + changed.stderr);
  assert.equal(sha256(await readFile(join(dir, 'out', 'b.bin'))), server.file('/b.bin').sha256);
  assert.ok(server.requests.filter((r) => r.path === '/a.bin').every((r) => r.status === 304), 'the unchanged file was only asked, not fetched');
  assert.ok(server.requests.some((r) => r.path === '/b.bin' && (r.status === 200 || r.status === 206)), 'the changed one was fetched');
});
