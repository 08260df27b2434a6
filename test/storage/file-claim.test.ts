import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileClaimedError } from '../../src/errors.js';
import { claimFile, claimPathOf, releaseHeldClaimsSync } from '../../src/storage/file-claim.js';
import { startTicksOf } from '../../src/storage/process-liveness.js';
import { tempDir } from '../helpers/job.js';
import { releaseIdleTemplates } from '../../src/storage/file-claim.js';

/** The folder as a run leaves it: templates no claim uses are removed as it ends (claim-template.ts, GRACE_MS). */
async function settledReaddir(dir: string): Promise<string[]> {
  await releaseIdleTemplates();
  return readdir(dir);
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.on('close', resolve));
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  return pid;
}

/** A process that stays alive until the test ends: another pdl writing the file, as far as the claim can tell. */
async function liveProcess(t: { after(fn: () => void): void }): Promise<{ pid: number; startTicks: number | undefined }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('spawn', resolve));
  return { pid: child.pid!, startTicks: await startTicksOf(child.pid!) };
}

const since = new Date().toISOString();
const claimJson = (fields: Record<string, unknown>) => JSON.stringify({ format: 'pdl-file-claim', hostname: hostname(), since, token: 'theirs', ...fields });

test('a claim names this process; release removes it, twice is harmless', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'x.bin');
  const claim = await claimFile(target);
  assert.equal(claim.path, `${target}.pdl-claim`);
  const content = JSON.parse(await readFile(claim.path, 'utf8')) as Record<string, unknown>;
  assert.equal(content.pid, process.pid);
  assert.equal(content.hostname, hostname());
  assert.equal(typeof content.since, 'string');
  if (process.platform === 'linux') assert.equal(content.startTicks, await startTicksOf(process.pid));
  await claim.release();
  await claim.release();
  assert.deepEqual(await settledReaddir(dir), []);
});

test('a live holder → FileClaimedError E_FILE_CLAIMED, exit 7, naming pid, host, since and path; its claim stays', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'x.bin');
  const holder = await liveProcess(t);
  const text = claimJson({ pid: holder.pid, ...(holder.startTicks !== undefined ? { startTicks: holder.startTicks } : {}) });
  await writeFile(claimPathOf(target), text);
  await assert.rejects(claimFile(target), (error: unknown) => {
    assert.ok(error instanceof FileClaimedError);
    assert.equal(error.code, 'E_FILE_CLAIMED');
    assert.equal(error.exitCode, 7);
    assert.equal(error.message, `${target} is being written by another pdl process (pid ${holder.pid} on ${hostname()}, since ${since}); claim file ${target}.pdl-claim (delete it only if no pdl process is writing that file)`);
    return true;
  });
  assert.equal(await readFile(claimPathOf(target), 'utf8'), text);
});

test('the same process claiming one path twice is refused (two download() calls), and may claim it once released', async (t) => {
  const target = join(await tempDir(t), 'x.bin');
  const first = await claimFile(target);
  await assert.rejects(claimFile(target), FileClaimedError);
  await first.release();
  const again = await claimFile(target);
  await again.release();
});

test('stale claims are taken over: dead pid, reused pid, our own pid from an earlier life, old garbage', async (t) => {
  const dir = await tempDir(t);
  const live = await liveProcess(t);
  const cases: Array<[string, string]> = [
    ['dead pid', claimJson({ pid: await deadPid() })],
    ['our pid, not a claim we hold', claimJson({ pid: process.pid })],
    ['from before the last boot', claimJson({ pid: live.pid, since: '2000-01-01T00:00:00.000Z' })],
    ['garbage older than the grace period', '{"format":"pdl-file-cl'],
  ];
  if (live.startTicks !== undefined) cases.push(['live pid, another start time (reused)', claimJson({ pid: live.pid, startTicks: live.startTicks + 1 })]);
  if (process.platform === 'linux') cases.push(['another boot', claimJson({ pid: live.pid, startTicks: live.startTicks, bootId: 'not-this-boot' })]);
  for (const [name, text] of cases) {
    const target = join(dir, `${cases.findIndex(([n]) => n === name)}.bin`);
    await writeFile(claimPathOf(target), text);
    const old = new Date(Date.now() - 120_000);
    await utimes(claimPathOf(target), old, old);
    const claim = await claimFile(target);
    const content = JSON.parse(await readFile(claim.path, 'utf8')) as { pid: number };
    assert.equal(content.pid, process.pid, name);
    await claim.release();
  }
  assert.deepEqual(await settledReaddir(dir), [], 'no claim, and nothing moved aside, is left');
});

test('a claim being written (garbage, recent) counts as held; another host cannot be checked and counts as held', async (t) => {
  const dir = await tempDir(t);
  await writeFile(claimPathOf(join(dir, 'a.bin')), '');
  await assert.rejects(claimFile(join(dir, 'a.bin')), /another pdl process \(just starting\)/);
  await writeFile(claimPathOf(join(dir, 'b.bin')), claimJson({ pid: await deadPid(), hostname: 'elsewhere.invalid' }));
  await assert.rejects(claimFile(join(dir, 'b.bin')), /pid \d+ on elsewhere\.invalid/);
});

test('releaseHeldClaimsSync (process exit) removes only the claims this process holds', async (t) => {
  const dir = await tempDir(t);
  const mine = await claimFile(join(dir, 'mine.bin'));
  const holder = await liveProcess(t);
  await writeFile(claimPathOf(join(dir, 'theirs.bin')), claimJson({ pid: holder.pid }));
  releaseHeldClaimsSync();
  assert.deepEqual(await settledReaddir(dir), ['theirs.bin.pdl-claim']);
  await mine.release();
});
