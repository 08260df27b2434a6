import { loadJobFile } from '../../job/load.js';
import { parseDuration } from '../../job/units.js';
import { UsageError } from '../../errors.js';
import { acquireRunLock } from '../../storage/run-lock.js';
import { intFlag,listFlag,parse,rateFlag,stringFlag,unitFlag } from '../args.js';
import { execute } from '../execute.js';
import { applyOverrides } from '../job-overrides.js';
import { runHelp } from '../help.js';
import { version,type CliIO } from '../main.js';
import { formatPlan } from '../plan.js';
import { frozenRun } from '../frozen-run.js';
import { stat } from 'node:fs/promises';
import { basename,dirname,resolve } from 'node:path';

export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    'run',
    argv,
    {
      dir: { type: 'string' },
      files: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      only: { type: 'string', multiple: true },
      'fail-fast': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      newer: { type: 'boolean' },
      frozen: { type: 'boolean' },
      'max-runtime': { type: 'string' },
      report: { type: 'string' },
      reporter: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      verbose: { type: 'boolean', short: 'v' },
    },
    { min: 1, max: 1, names: 'the job file' },
  );
  if (values.help) {
    io.stdout.write(runHelp);
    return 0;
  }
  const files = intFlag('files', values.files, 1, 1024);
  const connections = intFlag('connections', values.connections, 1, 1024);
  const rate = rateFlag(values.rate);
  const dir = stringFlag(values.dir);
  const only = listFlag(values.only);
  const maxRuntimeMs = unitFlag('max-runtime', values['max-runtime'], parseDuration);
  // setTimeout cannot wait longer than 2^31-1 ms (about 24 days): it would fire at once.
  if (maxRuntimeMs !== undefined && (maxRuntimeMs === 0 || maxRuntimeMs > 2 ** 31 - 1)) {
    throw new UsageError(`--max-runtime: expected a duration above 0 and at most 24 days, got "${String(values['max-runtime'])}"`);
  }
  const report = stringFlag(values.report);
  const reportPath = report === undefined ? undefined : await reportPathOf(report, io.cwd);

  const loaded = await loadJobFile(positionals[0]!, { env: io.env, ...(dir !== undefined ? { dir: resolve(io.cwd, dir) } : {}) });
  const job = applyOverrides(loaded, { files, connections, rate, only, newer: values.newer === true });
  // --frozen: the lock next to the job decides every file's sha256 and size; drift is exit 3 (lockfile/frozen.ts).
  const frozen = values.frozen ? await frozenRun(positionals[0]!, io.cwd, job, only.length > 0) : undefined;
  if (values['dry-run']) {
    io.stdout.write(formatPlan(frozen?.job ?? job));
    return 0;
  }
  // One run per output root: a cron run that starts while the previous one still works exits 7 at once.
  const lock = await acquireRunLock(job.dir, { pid: process.pid, startedAt: new Date(), command: `run ${basename(positionals[0]!)}`, version: version() });
  // A second Ctrl-C exits at once, past every finally: the lock still goes (a stale one would be taken over anyway).
  const onExit = () => lock.releaseSync();
  process.once('exit', onExit);
  try {
    return await execute(
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
    );
  } finally {
    process.off('exit', onExit);
    // The run's exit code matters more than a lock that could not be removed: the next run takes it over.
    await lock.release().catch(() => undefined);
  }
}

/** The report's absolute path; its folder must exist now, not only after an hours-long run. */
async function reportPathOf(report: string, cwd: string): Promise<string> {
  const path = resolve(cwd, report);
  const folder = await stat(dirname(path)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UsageError(`--report: ${dirname(path)} is not an existing folder`);
  return path;
}
