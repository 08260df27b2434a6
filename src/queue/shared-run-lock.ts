/**
 * The run lock of a folder shared by the workers of one job: one of them holds `.pdl-run.lock` (marked with the
 * queue name), the others join it. Whoever holds it may exit or die first, so every worker looks again now and
 * then and takes the lock over when its holder is gone: while any worker runs, a plain `pdl run` is refused.
 *
 * Known limit: between a holder's death and the next look (a third of a lease) a plain run could take the folder.
 * A worker that joined looks once more as it leaves, so a dead holder's lock does not outlive the job.
 */
import { acquireRunLock, type RunLock, type RunLockInfo } from '../storage/run-lock.js';

export interface SharedRunLock {
  release(): Promise<void>;
  releaseSync(): void;
}

export async function holdSharedRunLock(root: string, info: RunLockInfo & { shared: string }, everyMs: number): Promise<SharedRunLock> {
  let lock: RunLock = await acquireRunLock(root, info);
  /** The look the timer started, while it runs: release waits for it, or a lock it takes would be left held. */
  let looking: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (lock.held || looking) return;
    looking = acquireRunLock(root, info)
      .then((next) => void (lock = next))
      // A plain run got in, or the folder is unreadable for now: the files' own claims still keep writers apart.
      .catch(() => undefined)
      .finally(() => (looking = undefined));
  }, everyMs);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await looking;
      // A holder that died since the last look left its lock: one more look takes it over (and this release removes
      // it), so the last worker out leaves none behind. A live holder is joined again, a plain run's lock left alone.
      if (!lock.held) lock = await acquireRunLock(root, info).catch(() => lock);
      await lock.release();
    },
    releaseSync() {
      clearInterval(timer);
      lock.releaseSync();
    },
  };
}
