import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { RunLockedError } from '../../src/errors.js';
import { acquireRunLock, RUN_LOCK_NAME } from '../../src/storage/run-lock.js';
import { tempDir } from '../helpers/job.js';

/** The pid of a process that has exited (and was reaped), so `kill(pid, 0)` says ESRCH. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.on('close', resolve));
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  return pid;
}

/** The pid of a process that stays alive until the test ends (another pdl run, as far as the lock can tell). */
function livePid(t: { after(fn: () => void): void }): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child.pid!;
}

const lockJson = (fields: Record<string, unknown>) =>
  JSON.stringify({ format: 'pdl-run-lock', hostname: hostname(), startedAt: new Date().toISOString(), token: 'theirs', ...fields });

test('acquire creates the lock (and the root), release removes it, a second release is harmless', async (t) => {
  const root = join(await tempDir(t), 'not', 'yet');
  const startedAt = new Date('2026-11-21T08:00:00Z');
  const lock = await acquireRunLock(root, { pid: process.pid, startedAt, command: 'run jobs.yaml', version: '1.2.3' });
  assert.equal(lock.path, join(root, RUN_LOCK_NAME));
  const content = JSON.parse(await readFile(lock.path, 'utf8')) as Record<string, unknown>;
  assert.equal(content.pid, process.pid);
  assert.equal(content.hostname, hostname());
  assert.equal(content.startedAt, '2026-11-21T08:00:00.000Z');
  assert.equal(content.command, 'run jobs.yaml');
  assert.equal(content.version, '1.2.3');
  await lock.release();
  await lock.release();
  assert.deepEqual(await readdir(root), []);
});

test('a live holder → RunLockedError E_LOCKED, exit 7, naming pid, start time and lock path; the lock stays', async (t) => {
  const root = await tempDir(t);
  const holder = livePid(t);
  const startedAt = new Date(Date.now() - 5_000);
  const first = await acquireRunLock(root, { pid: holder, startedAt });
  await assert.rejects(acquireRunLock(root, { pid: process.pid, startedAt: new Date() }), (error: unknown) => {
    assert.ok(error instanceof RunLockedError);
    assert.equal(error.code, 'E_LOCKED');
    assert.equal(error.exitCode, 7);
    const started = startedAt.toISOString().replace(/\./g, '\\.');
    assert.match(error.message, new RegExp(`another pdl run \\(pid ${holder} on .+, started ${started}\\) is using ${root}; lock file ${join(root, RUN_LOCK_NAME)}`));
    return true;
  });
  assert.ok((await stat(first.path)).isFile(), 'the refused run did not remove the holder\'s lock');
  first.releaseSync();
  await assert.rejects(stat(first.path), { code: 'ENOENT' });
});

test('stale locks are taken over; live, foreign-host and freshly written ones are not', async (t) => {
  const dead = await deadPid();
  const live = livePid(t);
  const beforeBoot = new Date(Date.now() - (uptime() + 3600) * 1000).toISOString();
  const minuteAgo = new Date(Date.now() - 120_000);
  const cases: Array<{ name: string; content: string; old?: boolean; taken: boolean }> = [
    { name: 'dead pid on this host', content: lockJson({ pid: dead }), taken: true },
    { name: 'live pid (another process)', content: lockJson({ pid: live }), taken: false },
    { name: 'our own pid (a restarted container is pid 1 again)', content: lockJson({ pid: process.pid }), taken: true },
    { name: 'a live pid, but written before the last boot', content: lockJson({ pid: live, startedAt: beforeBoot }), taken: true },
    { name: 'live pid 1 (alive; EPERM unless we are root)', content: lockJson({ pid: 1 }), old: true, taken: false },
    { name: 'dead pid on another host', content: lockJson({ pid: dead, hostname: `not-${hostname()}` }), taken: false },
    { name: 'garbage, just written', content: '{"format":"pdl-run', taken: false },
    { name: 'empty, just created', content: '', taken: false },
    { name: 'garbage older than a minute', content: 'not json', old: true, taken: true },
    { name: 'pid 0 (would signal a process group)', content: lockJson({ pid: 0 }), old: true, taken: true },
  ];
  for (const c of cases) {
    const root = await tempDir(t);
    const path = join(root, RUN_LOCK_NAME);
    await writeFile(path, c.content);
    if (c.old) await utimes(path, minuteAgo, minuteAgo);
    const attempt = acquireRunLock(root, { pid: process.pid, startedAt: new Date() });
    if (c.taken) {
      const lock = await attempt;
      const content = JSON.parse(await readFile(path, 'utf8')) as { pid: number };
      assert.equal(content.pid, process.pid, c.name);
      await lock.release();
      assert.deepEqual(await readdir(root), [], `${c.name}: released, no temp file left`);
    } else {
      await assert.rejects(attempt, RunLockedError, c.name);
      assert.equal(await readFile(path, 'utf8'), c.content, `${c.name}: the lock is left as it was`);
    }
  }
});

test('release never removes a lock that is no longer ours', async (t) => {
  const root = await tempDir(t);
  const lock = await acquireRunLock(root, { pid: process.pid, startedAt: new Date() });
  const other = lockJson({ pid: process.pid, token: 'someone-else' });
  await writeFile(lock.path, other);
  await lock.release();
  assert.equal(await readFile(lock.path, 'utf8'), other);
});

test('the lock file is never seen empty or half written while it is created (a worker reading it then refused its own job)', async (t) => {
  const root = await tempDir(t);
  const path = join(root, RUN_LOCK_NAME);
  let incomplete = 0;
  let seen = 0;
  let polling = true;
  // Reads between every turn of the event loop: the creation's own pool calls leave it turns in between.
  const poll = () => {
    if (!polling) return;
    try {
      const text = readFileSync(path, 'utf8');
      seen++;
      if (!text.endsWith('}\n')) incomplete++;
    } catch {
      // Not there (yet, or any more).
    }
    setImmediate(poll);
  };
  poll();
  try {
    for (let round = 0; round < 40; round++) {
      const lock = await acquireRunLock(root, { pid: process.pid, startedAt: new Date() });
      await new Promise((resolve) => setImmediate(resolve));
      await lock.release();
    }
  } finally {
    polling = false;
  }
  assert.ok(seen >= 40, `the poller read the lock ${seen} times`);
  assert.equal(incomplete, 0, `${incomplete} of ${seen} reads found the lock empty or half written`);
  assert.deepEqual((await readdir(root)).filter((name) => name !== RUN_LOCK_NAME), [], 'no temporary file left behind');
});
