/** `pdl run --queue`: this process as one worker of a shared job; the exit code and report are the whole job's. */
import type { ResolvedJob } from '../job/resolved.js';
import { queueNameOf } from '../queue/identity.js';
import { holdSharedRunLock } from '../queue/shared-run-lock.js';
import { runQueueWorker } from '../queue/worker.js';
import { stringFlag, type Parsed } from './args.js';
import { execute } from './execute.js';
import { version, type CliIO } from './io.js';
import type { QueueFlags } from './queue-flags.js';

export async function runQueueCommand(
  job: ResolvedJob,
  queue: QueueFlags,
  values: Parsed['values'],
  run: { maxRuntimeMs: number | undefined; reportPath: string | undefined; command: string },
  io: CliIO,
): Promise<number> {
  // Workers of this job share the folder; a plain run, or another job's workers, still get exit 7.
  const lock = await holdSharedRunLock(
    job.dir,
    { pid: process.pid, startedAt: new Date(), command: run.command, version: version(), shared: queueNameOf(job.files) },
    Math.max(100, Math.round(queue.timing.leaseMs / 3)),
  );
  const onExit = () => lock.releaseSync();
  process.once('exit', onExit);
  try {
    return await execute(
      job,
      {
        reporter: stringFlag(values.reporter),
        quiet: values.quiet === true,
        verbose: values.verbose === true,
        failFast: false,
        maxRuntimeMs: run.maxRuntimeMs,
        reportPath: run.reportPath,
        run: (resolved, options) => runQueueWorker(resolved, { target: queue.target, timing: queue.timing, events: options.events, signal: options.signal, proxy: options.proxy }),
      },
      io,
    );
  } finally {
    process.off('exit', onExit);
    await lock.release().catch(() => undefined);
  }
}
