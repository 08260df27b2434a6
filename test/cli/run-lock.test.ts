import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli, startCli, until } from '../helpers/cli.js';
import { fixture, KiB, MiB, sha256 } from '../helpers/engine.js';

/** The output folder's files, sorted: hidden ones other than the run lock (state of other features) are left out. */
const listing = async (dir: string) => (await readdir(dir)).filter((name) => !name.startsWith('.') || name === '.pdl-run.lock').sort();


const exists = (path: string) => () => readFile(path).then(() => true, () => false);
/** The lock is created first and written after: wait until its record is there, not just the file. */
const written = (path: string) => () => readFile(path, 'utf8').then((text) => { try { return JSON.parse(text) !== null; } catch { return false; } }, () => false);

test('a second pdl run on the same output folder exits 7 at once, naming the holder; the first completes and removes the lock', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/slow.bin', { size: 1 * MiB, throttle: 256 * KiB });
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\n  connections: 1\nfiles:\n  - ${url}\n`);
  const lockPath = join(dir, 'out', '.pdl-run.lock');

  const first = startCli(['run', job, '--reporter', 'plain']);
  await until(written(lockPath));
  const holder = JSON.parse(await readFile(lockPath, 'utf8')) as { pid: number; startedAt: string };
  assert.equal(holder.pid, first.child.pid);

  const second = await runCli(['run', job, '--reporter', 'plain'], { timeoutMs: 10_000 });
  assert.equal(second.code, 7, second.stdout + second.stderr);
  assertCleanStderr(second.stderr);
  assert.match(second.stderr, new RegExp(`^pdl: another pdl run \\(pid ${first.child.pid} on .+, started ${holder.startedAt.replace(/[.]/g, '\\.')}\\) is using .+; lock file .+\\.pdl-run\\.lock`));
  assert.equal(first.child.exitCode, null, 'the refusal came while the first run was still working');

  const done = await first.result;
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.equal(sha256(await readFile(join(dir, 'out', 'slow.bin'))), server.file('/slow.bin').sha256);
  assert.deepEqual(await listing(join(dir, 'out')), ['slow.bin'], 'no lock file, .part or .pdl left');
});

test('the lock is released after SIGINT and after a failed run; --dry-run takes none', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/slow.bin', { size: 4 * MiB, throttle: 256 * KiB });
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\n  connections: 1\n  retries: 0\nfiles:\n  - ${url}\n  - ${server.url('/missing.bin')}\n`);
  const out = join(dir, 'out');

  const run = startCli(['run', job, '--reporter', 'plain']);
  await until(exists(join(out, 'slow.bin.pdl')));
  run.child.kill('SIGINT');
  const interrupted = await run.result;
  assert.equal(interrupted.code, 130, interrupted.stdout + interrupted.stderr);
  assert.deepEqual(await listing(out), ['slow.bin.part', 'slow.bin.pdl']);

  // While a dry run looks at the plan, a real run may hold the folder: the dry run neither waits nor refuses.
  const dry = await runCli(['run', job, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);

  server.mutate('/slow.bin', { throttle: undefined });
  const failed = await runCli(['run', job, '--reporter', 'plain']);
  assert.equal(failed.code, 4, failed.stdout + failed.stderr);
  assert.deepEqual(await listing(out), ['slow.bin'], 'the lock went with the failed run too');
});
