/**
 * The run lock: one `pdl run` per output root at a time, so two cron runs of the same job never fight over the
 * same .part files. The lock is a small JSON file, `<root>/.pdl-run.lock`, created with O_EXCL; a lock left by a
 * run that died (its pid is gone, or names a later process: see process-liveness.ts) is taken over, so a crash or a
 * kill -9 never needs a person to clean up. Files themselves are guarded by file claims (file-claim.ts), which also
 * cover `pdl get` and output folders that nest.
 *
 * Known limit: two runs that find the same stale lock at the same instant could both take it over (the takeover
 * is a rename, confirmed by reading the file back, not a compare-and-swap). That needs a crashed run and two new
 * ones starting within microseconds of each other.
 */
import { randomBytes } from 'node:crypto';
import { constants,readFileSync,unlinkSync } from 'node:fs';
import { lstat,mkdir,open,unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalIOError, RunLockedError, type RunLockHolder } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import { currentProcess, mayBeAlive, parseHolderRecord } from './process-liveness.js';
import { createExclusiveWhole, writeFileAtomic } from './small-file.js';

export const RUN_LOCK_NAME = '.pdl-run.lock';

/** A lock file that cannot be parsed is someone's lock being written, until it is this old. */
const GARBAGE_GRACE_MS = 60_000;
const MAX_BYTES = 64 * 1024;
const MAX_ATTEMPTS = 5;

export interface RunLockInfo {
  pid: number;
  startedAt: Date;
  /** What holds the lock, e.g. `run jobs.yaml`; shown to nobody but a person reading the file. */
  command?: string;
  /** pdl's version. */
  version?: string;
  /**
   * Workers of one shared job (`--queue`) pass its queue name: a live lock with the same name is joined, not fought
   * (the folder is meant to be shared), while a plain run, or a worker of another job, is still refused.
   */
  shared?: string;
}

export interface RunLock {
  readonly path: string;
  /** False when a live holder of the same shared job holds the file and this process only joined it. */
  readonly held: boolean;
  /** Remove the lock file if it is still ours. Safe to call more than once. */
  release(): Promise<void>;
  /** The same, synchronously: for a process 'exit' handler. */
  releaseSync(): void;
}

interface RunLockRecord extends RunLockHolder {
  format: 'pdl-run-lock';
  /** Random: tells our lock from a later one of the same pid. */
  token: string;
  /** See ProcessIdentity: absent in locks of older versions. */
  startTicks?: number;
  bootId?: string;
  command?: string;
  version?: string;
  shared?: string;
}

type ReadRunLock = { status: 'missing' } | { status: 'ok'; lock: RunLockRecord } | { status: 'garbage'; ageMs: number };

export async function acquireRunLock(root: string, info: RunLockInfo): Promise<RunLock> {
  const path = join(root, RUN_LOCK_NAME);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw toLocalIOError(error, root, 'create');
  }
  const token = randomBytes(8).toString('hex');
  const me = await currentProcess();
  const content: RunLockRecord = {
    format: 'pdl-run-lock',
    pid: info.pid,
    hostname: me.hostname,
    startedAt: info.startedAt.toISOString(),
    token,
    ...(info.pid === me.pid && me.startTicks !== undefined ? { startTicks: me.startTicks } : {}),
    ...(me.bootId !== undefined ? { bootId: me.bootId } : {}),
    ...(info.command !== undefined ? { command: info.command } : {}),
    ...(info.version !== undefined ? { version: info.version } : {}),
    ...(info.shared !== undefined ? { shared: info.shared } : {}),
  };
  const data = `${JSON.stringify(content, null, 2)}\n`;

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if ((await createExclusiveWhole(path, data)) !== undefined) return heldLock(path, token);
    const existing = await readRunLock(path);
    // Released between our create and our read: try to create it again.
    if (existing.status === 'missing') continue;
    if (existing.status === 'ok' && (await isAlive(existing.lock))) {
      if (info.shared !== undefined && existing.lock.shared === info.shared) return joinedLock(path);
      throw new RunLockedError(existing.lock, root, path);
    }
    if (existing.status === 'garbage' && existing.ageMs < GARBAGE_GRACE_MS) throw new RunLockedError(undefined, root, path);
    await writeFileAtomic(path, data);
    const check = await readRunLock(path);
    if (check.status === 'ok' && check.lock.token === token) return heldLock(path, token);
    // Another run took the stale lock over at the same moment; the next round judges its lock.
  }
  throw new LocalIOError(`cannot take the run lock ${path}: it kept changing under us`, { path });
}

/** Whether the holder may still be running (see process-liveness.ts). */
async function isAlive(lock: RunLockRecord): Promise<boolean> {
  // Our own pid cannot be another live run (a restarted container is pid 1 again).
  if (lock.pid === process.pid && lock.hostname === (await currentProcess()).hostname) return false;
  return mayBeAlive(lock, new Date(lock.startedAt));
}


async function readRunLock(path: string): Promise<ReadRunLock> {
  let text: string;
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const stats = await handle.stat();
      if (!stats.isFile() || stats.size > MAX_BYTES) return { status: 'garbage', ageMs: Date.now() - stats.mtimeMs };
      text = await handle.readFile('utf8');
      const parsed = parseRunLock(text);
      return parsed === undefined ? { status: 'garbage', ageMs: Date.now() - stats.mtimeMs } : { status: 'ok', lock: parsed };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing' };
    if (code === 'ELOOP') {
      const stats = await lstat(path).catch(() => undefined);
      return stats === undefined ? { status: 'missing' } : { status: 'garbage', ageMs: Date.now() - stats.mtimeMs };
    }
    throw toLocalIOError(error, path, 'read');
  }
}

/** The lock in `text`, or undefined when it is not one we can trust. */
function parseRunLock(text: string): RunLockRecord | undefined {
  const lock = parseHolderRecord(text, 'pdl-run-lock', 'startedAt');
  if (lock === undefined || (lock.shared !== undefined && typeof lock.shared !== 'string')) return undefined;
  return lock as unknown as RunLockRecord;
}

/** Another live worker of the same shared job holds the file: nothing of ours to remove. */
function joinedLock(path: string): RunLock {
  return { path, held: false, release: async () => undefined, releaseSync: () => undefined };
}

function heldLock(path: string, token: string): RunLock {
  let released = false;
  return {
    path,
    held: true,
    async release() {
      if (released) return;
      released = true;
      const current = await readRunLock(path).catch(() => undefined);
      if (current?.status !== 'ok' || current.lock.token !== token) return;
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw toLocalIOError(error, path, 'remove');
      });
    },
    releaseSync() {
      if (released) return;
      released = true;
      try {
        if (parseRunLock(readFileSync(path, 'utf8'))?.token === token) unlinkSync(path);
      } catch {
        // Exiting anyway: a lock left behind is taken over by the next run once this pid is gone.
      }
    },
  };
}
