/**
 * How a run ends, in one place: the process's signal and exit hooks, the run's time limit, and the output folder's
 * run lock that run, lock and pin hold (one run per output root, so a cron run that starts while the previous one
 * still works exits 7 at once). What a run holds goes on every way out: returned, thrown, or a second Ctrl-C that
 * exits at once past every finally.
 */
import { basename } from 'node:path';
import { EXIT_CODES } from '../errors.js';
import { releaseHeldClaimsSync } from '../storage/file-claim.js';
import { acquireRunLock } from '../storage/run-lock.js';
import { version } from './io.js';

/** Install the process's hooks (the binary calls this once); the returned signal aborts on SIGINT/SIGTERM. */
export function installExitHooks(): AbortSignal {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    // A second Ctrl-C means "now": progress saved so far stays valid (the control file is written atomically).
    if (++signals > 1) process.exit(signal === 'SIGINT' ? EXIT_CODES.sigint : EXIT_CODES.sigterm);
    controller.abort(signal);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // A second signal exits at once, before files settle: their claims on output paths go with the process anyway.
  process.on('exit', releaseHeldClaimsSync);
  return controller.signal;
}

/** `signal`, also aborted with reason 'max-runtime' once `ms` have passed (`--max-runtime`: stop like SIGINT). */
export function withRuntimeLimit(signal: AbortSignal, ms: number | undefined): { signal: AbortSignal; clear(): void } {
  if (ms === undefined) return { signal, clear: () => undefined };
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort('max-runtime'), ms);
  return { signal: AbortSignal.any([signal, limit.signal]), clear: () => clearTimeout(timer) };
}

/** Run `work` holding the run lock of `dir`; `label` is what a blocked run is told holds it (`run jobs.yaml`). */
export async function withRunLock<T>(dir: string, label: string, work: () => Promise<T>): Promise<T> {
  const lock = await acquireRunLock(dir, { pid: process.pid, startedAt: new Date(), command: label, version: version() });
  // A stale lock would be taken over anyway, but a lock left behind by an exit past every finally is still removed.
  const onExit = () => lock.releaseSync();
  process.once('exit', onExit);
  try {
    return await work();
  } finally {
    process.off('exit', onExit);
    // The run's exit code matters more than a lock that could not be removed: the next run takes it over.
    await lock.release().catch(() => undefined);
  }
}

/** `run jobs.yaml`-style label for the run lock. */
export function runLockLabel(command: string, jobPath: string): string {
  return `${command} ${basename(jobPath)}`;
}
