/** `pdl run <job.yaml>`: download every file of a job, holding the output folder's run lock. */
import { resolve } from 'node:path';
import { loadJobFile } from '../../job/load.js';
import { COMMAND_OPTIONS, parse, stringFlag } from '../args.js';
import { execute } from '../execute.js';
import { runHelp } from '../help.js';
import { applyOverrides } from '../job-overrides.js';
import type { CliIO } from '../io.js';
import { formatDryRun } from '../dry-run.js';
import { maxRuntimeOf, overridesOf, reportPathOf } from '../run-flags.js';
import { runLockLabel, withRunLock } from '../run-session.js';
import { queueFlags, shardFlags } from '../queue-flags.js';
import { selectShard } from '../../shard/shard.js';
import { UsageError } from '../../errors.js';

export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse('run', argv, COMMAND_OPTIONS.run, { min: 1, max: 1, names: 'the job file' });
  if (values.help) {
    io.stdout.write(runHelp());
    return 0;
  }
  const overrides = overridesOf(values);
  const maxRuntimeMs = maxRuntimeOf(values);
  const reportPath = await reportPathOf(values, io.cwd);
  const dir = stringFlag(values.dir);
  const shard = shardFlags(values, io.env);
  const queue = queueFlags(values, io.env);
  // A queue's result is the whole job's, decided by every worker: one worker cannot stop the others or check a lock.
  if (queue && (values.frozen || values['fail-fast'])) throw new UsageError(`--queue: cannot be combined with --${values.frozen ? 'frozen' : 'fail-fast'}`);

  const loaded = await loadJobFile(positionals[0]!, { env: io.env, ...(dir !== undefined ? { dir: resolve(io.cwd, dir) } : {}) });
  const job = selectShard(applyOverrides(loaded, overrides), shard);
  // --frozen: the lock next to the job decides every file's sha256 and size; drift is exit 3 (lockfile/frozen.ts).
  // The lock file is YAML read with positions: the `yaml` package is loaded only for --frozen.
  const frozen = values.frozen
    ? await (await import('../frozen-run.js')).frozenRun(positionals[0]!, io.cwd, job, (overrides.only ?? []).length > 0)
    : undefined;
  if (values['dry-run']) {
    io.stdout.write(formatDryRun(frozen?.job ?? job));
    return 0;
  }
  if (queue) {
    // Loaded only here: it brings in bullmq and ioredis, which a run without --queue should not pay for at start-up.
    const { runQueueCommand } = await import('../queue-run.js');
    return runQueueCommand(job, queue, values, { maxRuntimeMs, reportPath, command: runLockLabel('run', positionals[0]!) }, io);
  }
  return withRunLock(job.dir, runLockLabel('run', positionals[0]!), () =>
    execute(
      frozen?.job ?? job,
      {
        reporter: stringFlag(values.reporter),
        quiet: values.quiet === true,
        verbose: values.verbose === true,
        failFast: values['fail-fast'] === true,
        maxRuntimeMs,
        reportPath,
        afterRun: frozen?.afterRun,
      },
      io,
    ),
  );
}
