/** `pdl run --frozen`: find and read the job's lock file, then hand the run a job and a check frozen by it. */
import { basename, resolve } from 'node:path';
import type { RunSummary } from '../engine/events.js';
import { UsageError } from '../errors.js';
import type { ResolvedJob } from '../job/resolved.js';
import { checkRunAgainstLock, freezeJob } from '../lockfile/frozen.js';
import { lockPathOf, readLockFile } from '../lockfile/lock-file.js';

export interface FrozenRun {
  job: ResolvedJob;
  afterRun: (summary: RunSummary, exitCode: number) => Promise<void>;
}

export async function frozenRun(jobName: string, cwd: string, job: ResolvedJob, partial: boolean): Promise<FrozenRun> {
  const lockPath = lockPathOf(resolve(cwd, jobName));
  const lockName = basename(lockPath);
  const lock = await readLockFile(lockPath, lockName);
  if (lock === undefined) {
    throw new UsageError(`--frozen: ${lockPath} does not exist; create it with 'pdl lock ${jobName}' and commit it beside the job`);
  }
  const frozen = freezeJob(job, lock, { lockName, jobName, partial });
  return { job: frozen, afterRun: (summary, exitCode) => checkRunAgainstLock(frozen, summary, exitCode, lock, lockName) };
}
