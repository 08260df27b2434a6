import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { assertCleanStderr, controlSaysProgress, runCli, startCli, until } from '../helpers/cli.js';
import { fixture, KiB, MiB, sha256 } from '../helpers/engine.js';

const exists = (path: string) => () => stat(path).then(() => true, () => false);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('two pdl get of different URLs to one path: the second exits 7 naming the first; the first completes with its own bytes', async (t) => {
  const { server, dir } = await fixture(t);
  const first = server.addFile('/first.bin', { size: 1 * MiB, throttle: 256 * KiB });
  const second = server.addFile('/second.bin', { size: 256 * KiB, throttle: 256 * KiB });
  const out = join(dir, 'same', 'x.bin');

  const writer = startCli(['get', first, '-o', out, '-c', '1']);
  await until(exists(`${out}.part`));
  const loser = await runCli(['get', second, '-o', out, '-c', '1'], { timeoutMs: 20_000 });
  assert.equal(loser.code, 7, loser.stdout + loser.stderr);
  assertCleanStderr(loser.stderr);
  assert.match(loser.stdout + loser.stderr, new RegExp(`${escape(out)} is being written by another pdl process \\(pid ${writer.child.pid} on .+, since \\d{4}-\\d\\d-\\d\\dT[^)]+\\); claim file ${escape(out)}\\.pdl-claim`));
  assert.equal(writer.child.exitCode, null, 'the refusal came while the first was still writing');

  const done = await writer.result;
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.equal(sha256(await readFile(out)), server.file('/first.bin').sha256);
  assert.deepEqual(await readdir(join(dir, 'same')), ['x.bin'], 'no .part, .pdl or claim left');
});

test('two runs whose output folders nest write one file: the second fails that file with exit 7, its other files go on', async (t) => {
  const { server, dir } = await fixture(t);
  const outer = server.addFile('/outer.bin', { size: 1 * MiB, throttle: 256 * KiB });
  const inner = server.addFile('/inner.bin', { size: 256 * KiB, throttle: 256 * KiB });
  const other = server.addFile('/other.bin', { size: 10 * KiB });
  await writeFile(join(dir, 'outer.yaml'), `version: 1\ndefaults:\n  dir: ./o\n  connections: 1\nfiles:\n  - url: ${outer}\n    path: sub/x.bin\n`);
  await writeFile(join(dir, 'inner.yaml'), `version: 1\ndefaults:\n  dir: ./o/sub\n  connections: 1\nfiles:\n  - url: ${inner}\n    path: x.bin\n  - url: ${other}\n    path: y.bin\n`);
  const target = join(dir, 'o', 'sub', 'x.bin');

  const writer = startCli(['run', join(dir, 'outer.yaml'), '--reporter', 'plain']);
  await until(exists(`${target}.part`));
  const loser = await runCli(['run', join(dir, 'inner.yaml'), '--reporter', 'plain'], { timeoutMs: 20_000 });
  assert.equal(loser.code, 7, loser.stdout + loser.stderr);
  assertCleanStderr(loser.stderr);
  assert.match(loser.stdout + loser.stderr, new RegExp(`being written by another pdl process \\(pid ${writer.child.pid} on `));
  assert.equal(writer.child.exitCode, null, 'the refusal came while the first was still writing');
  assert.equal(sha256(await readFile(join(dir, 'o', 'sub', 'y.bin'))), server.file('/other.bin').sha256, 'the other file of the run was downloaded');

  const done = await writer.result;
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.equal(sha256(await readFile(target)), server.file('/outer.bin').sha256);
  assert.deepEqual((await readdir(join(dir, 'o', 'sub'))).sort(), ['x.bin', 'y.bin'], 'no .part, .pdl, claim or run lock left');
  assert.deepEqual(await readdir(join(dir, 'o')), ['sub']);
});

test('a claim left by a SIGKILLed pdl is stale: the next run takes it over, resumes and exits 0', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/big.bin', { size: 4 * MiB, throttle: 512 * KiB });
  const out = join(dir, 'big.bin');

  const killed = startCli(['get', url, '-o', out, '-c', '1']);
  await until(controlSaysProgress(`${out}.pdl`));
  const claim = JSON.parse(await readFile(`${out}.pdl-claim`, 'utf8')) as { pid: number };
  assert.equal(claim.pid, killed.child.pid, 'the writer holds a claim naming its pid');
  killed.child.kill('SIGKILL');
  assert.equal((await killed.result).signal, 'SIGKILL');
  assert.ok(await exists(`${out}.pdl-claim`)(), 'kill -9 leaves the claim behind');

  server.mutate('/big.bin', { throttle: undefined });
  const rerun = await runCli(['get', url, '-o', out, '-c', '1']);
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  assertCleanStderr(rerun.stderr);
  assert.match(rerun.stderr, /resumed/, "the done line is progress, on stderr");
  assert.equal(sha256(await readFile(out)), server.file('/big.bin').sha256);
  assert.deepEqual(await readdir(dir), ['big.bin']);
});

test("a dead holder's control file that appeared after the folder was listed goes when the run takes its claim over and completes the file", async (t) => {
  const { server, dir } = await fixture(t);
  const a = server.addFile('/a.bin', { size: 512 * KiB, throttle: 256 * KiB });
  const b = server.addFile('/b.bin', { size: 16 * KiB });
  const job = join(dir, 'job.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\nlimits:\n  files: 1\nfiles:\n  - ${a}\n  - ${b}\n`);
  const out = join(dir, 'out');
  const run = startCli(['run', job, '--reporter', 'plain']);
  // The run has looked through out/ for a.bin by now; b.bin comes after it.
  await until(exists(join(out, 'a.bin.part')));
  const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => dead.on('close', resolve));
  // A pdl that died writing b.bin after that look, between removing its .part and its control file.
  const claim = { format: 'pdl-file-claim', pid: dead.pid, hostname: hostname(), since: new Date().toISOString(), token: 'theirs' };
  await writeFile(join(out, 'b.bin.pdl-claim'), JSON.stringify(claim));
  await writeFile(join(out, 'b.bin.pdl'), '{}\n');
  const done = await run.result;
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.equal(sha256(await readFile(join(out, 'b.bin'))), server.file('/b.bin').sha256);
  assert.deepEqual((await readdir(out)).sort(), ['a.bin', 'b.bin'], 'no stale control file beside the complete b.bin');
});
