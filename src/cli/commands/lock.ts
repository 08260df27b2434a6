/**
 * `pdl lock <job.yaml>`: run the job, then write `<job>.lock.yaml` beside it — one entry per file in job order
 * with its size, sha256 and what is known of its version on the server — for review and `pdl run --frozen`.
 * Nothing is written unless every file ended well: a half lock would let --frozen pass files nobody looked at.
 */
import { relative, resolve } from 'node:path';
import { loadJobFile } from '../../job/load.js';
import type { ResolvedJob } from '../../job/resolved.js';
import { lockPathOf, writeLockFile, type LockEntry } from '../../lockfile/lock-file.js';
import { COMMAND_OPTIONS, parse, stringFlag, type Parsed } from '../args.js';
import { lockHelp } from '../help.js';
import type { CliIO } from '../io.js';
import { runLockLabel } from '../run-session.js';
import { observeRun, type ObservedFile } from '../observe-run.js';
import type { ExecuteOptions } from '../execute.js';
import { applyOverrides } from '../job-overrides.js';
import { overridesOf } from '../run-flags.js';

/** The run options `pdl lock` and `pdl pin` accept: a subset of `pdl run`'s, with the same meaning. */
export const observeFlags = COMMAND_OPTIONS.lock;

/** Load the job named on the command line with the flags applied, and the execute options they imply. */
export async function loadObservedJob(parsed: Parsed, io: CliIO): Promise<{ job: ResolvedJob; options: ExecuteOptions }> {
  const { values, positionals } = parsed;
  const overrides = overridesOf(values);
  const dir = stringFlag(values.dir);
  const loaded = await loadJobFile(resolve(io.cwd, positionals[0]!), {
    env: io.env,
    displayName: positionals[0]!,
    ...(dir !== undefined ? { dir: resolve(io.cwd, dir) } : {}),
  });
  const job = applyOverrides(loaded, overrides);

  const options: ExecuteOptions = { reporter: stringFlag(values.reporter), quiet: values.quiet === true, verbose: values.verbose === true, failFast: false };
  return { job, options };
}

export async function lockCommand(argv: string[], io: CliIO): Promise<number> {
  const parsed = parse('lock', argv, observeFlags, { min: 1, max: 1, names: 'the job file' });
  if (parsed.values.help) {
    io.stdout.write(lockHelp());
    return 0;
  }
  const jobPath = resolve(io.cwd, parsed.positionals[0]!);
  const { job, options } = await loadObservedJob(parsed, io);
  const observed = await observeRun(job, options, io, runLockLabel('lock', jobPath));
  if (observed.files === undefined) {
    io.stderr.write('pdl: no lock file written: not every file ended well (see above)\n');
    return observed.exitCode;
  }
  const lockPath = lockPathOf(jobPath);
  await writeLockFile(lockPath, { version: 1, files: observed.files.map(lockEntryOf) });
  io.stdout.write(`wrote ${relative(io.cwd, lockPath) || lockPath} (${observed.files.length} file${observed.files.length === 1 ? '' : 's'})\n`);
  return 0;
}

export function lockEntryOf(file: ObservedFile): LockEntry {
  return {
    path: file.relPath,
    url: file.displayUrl,
    ...(file.mirrors?.length ? { mirrors: file.mirrors } : {}),
    ...(file.finalUrl !== undefined ? { finalUrl: file.finalUrl } : {}),
    size: file.size,
    ...(file.etag !== undefined ? { etag: file.etag } : {}),
    ...(file.lastModified !== undefined ? { lastModified: file.lastModified } : {}),
    sha256: file.sha256,
  };
}
