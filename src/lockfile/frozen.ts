/**
 * `pdl run --frozen`: the lock file decides what the bytes must be. Before the run every file must have a lock
 * entry with the same URL (and the same sha256 when the job gives one); the lock's sha256 becomes the checksum the
 * engine verifies. After the run, size and sha256 of every file are compared with the lock once more — that is
 * what catches a job checksum of another algorithm, or a checksum list, that agrees with new bytes the lock
 * never saw. Every disagreement is a LockDriftError (exit 3) that names the path and both values.
 */
import type { RunSummary } from '../engine/events.js';
import { EXIT_CODES, LockDriftError } from '../errors.js';
import type { ResolvedJob } from '../job/resolved.js';
import { hashFile } from '../verify/checksum.js';
import type { LockEntry, LockFile } from './lock-file.js';

export interface FreezeOptions {
  /** How messages name the lock file. */
  lockName: string;
  /** How messages name the job file (for "run pdl lock …"). */
  jobName: string;
  /** Only some files run (--only): lock entries for the others are not stale. */
  partial: boolean;
}

/** The job with each file's checksum taken from the lock; throws LockDriftError listing every disagreement. */
export function freezeJob(job: ResolvedJob, lock: LockFile, options: FreezeOptions): ResolvedJob {
  const entries = new Map(lock.files.map((entry) => [entry.path, entry]));
  const problems: string[] = [];
  const files = job.files.map((file) => {
    const entry = entries.get(file.relPath);
    entries.delete(file.relPath);
    if (entry === undefined) {
      problems.push(`${file.relPath}: not in ${options.lockName}`);
      return file;
    }
    if (entry.url !== file.displayUrl) problems.push(`${file.relPath}: the job fetches ${file.displayUrl}, ${options.lockName} locked ${entry.url}`);
    const mirrors = (file.mirrors ?? []).map((m) => m.displayUrl).join(', ');
    if (mirrors !== (entry.mirrors ?? []).join(', ')) {
      problems.push(`${file.relPath}: the job's mirrors are [${mirrors}], ${options.lockName} locked [${(entry.mirrors ?? []).join(', ')}]`);
    }
    const own = file.checksum;
    if (own?.algorithm === 'sha256' && own.hex !== entry.sha256) {
      problems.push(`${file.relPath}: the job says sha256:${own.hex}, ${options.lockName} locked sha256:${entry.sha256}`);
    }
    // A checksum of another algorithm stays the engine's to verify; the sha256 is compared after the run. A checksum
    // list gives way to the lock: the list may have moved on, and the lock is what the repository stands for.
    if (own !== undefined) return file;
    return { ...file, checksum: { algorithm: 'sha256' as const, hex: entry.sha256 }, checksumList: undefined };
  });
  if (!options.partial && entries.size > 0) {
    problems.push(`${options.lockName} locks files the job no longer lists: ${[...entries.keys()].join(', ')}`);
  }
  if (problems.length > 0) {
    const hint = `if the change is intended, run 'pdl lock ${options.jobName}' and commit ${options.lockName}`;
    throw new LockDriftError(
      problems.length === 1 ? `${problems[0]!}; ${hint}` : `the job and ${options.lockName} disagree:\n  ${problems.join('\n  ')}\n${hint}`,
    );
  }
  return { ...job, files };
}

/**
 * After the run: every file that ended well has the locked size and sha256; a file that failed its checksum and
 * also has another size than the locked one is named with both sizes. Throws LockDriftError.
 */
export async function checkRunAgainstLock(job: ResolvedJob, summary: RunSummary, exitCode: number, lock: LockFile, lockName: string): Promise<void> {
  // Drift is reported whatever else failed (a 404 elsewhere must not hide a changed file); not after a stop.
  if (exitCode === EXIT_CODES.sigint || exitCode === EXIT_CODES.sigterm || exitCode === EXIT_CODES.locked || exitCode === EXIT_CODES.maxRuntime) return;
  const entries = new Map(lock.files.map((entry) => [entry.path, entry]));
  const paths = new Map(job.files.map((file) => [file.index, file.path]));
  const problems: string[] = [];
  for (const result of summary.files) {
    const entry: LockEntry | undefined = entries.get(result.path);
    const path = paths.get(result.index);
    if (entry === undefined || path === undefined) continue;
    const sizeDrift = result.size !== undefined && result.size !== entry.size;
    if (result.outcome === 'failed') {
      if (result.error?.code === 'E_CHECKSUM' && sizeDrift) {
        problems.push(`${result.path}: ${result.size} bytes on the server, ${lockName} locked ${entry.size} bytes (and the checksum did not match)`);
      }
      continue;
    }
    if (result.outcome === 'interrupted') continue;
    if (sizeDrift) {
      problems.push(`${result.path}: ${result.size} bytes, ${lockName} locked ${entry.size} bytes`);
      continue;
    }
    const sha256 = result.sha256 ?? (await hashFile(path, ['sha256'])).sha256;
    if (sha256 !== entry.sha256) problems.push(`${result.path}: sha256:${sha256}, ${lockName} locked sha256:${entry.sha256}`);
  }
  if (problems.length > 0) throw new LockDriftError(problems.length === 1 ? problems[0]! : `files differ from ${lockName}:\n  ${problems.join('\n  ')}`);
}
