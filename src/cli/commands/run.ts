import { loadJobFile } from '../../job/load.js';
import type { ResolvedJob } from '../../job/resolved.js';
import { parseRate } from '../../job/units.js';
import { UsageError } from '../../errors.js';
import { intFlag, listFlag, parse, stringFlag, unitFlag } from '../args.js';
import { execute } from '../execute.js';
import { matchesAny } from '../glob.js';
import { runHelp } from '../help.js';
import type { CliIO } from '../main.js';
import { formatPlan } from '../plan.js';
import { resolve } from 'node:path';

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
  const rate = unitFlag('rate', values.rate, parseRate);
  const dir = stringFlag(values.dir);
  const only = listFlag(values.only);

  const loaded = await loadJobFile(positionals[0]!, { env: io.env, ...(dir !== undefined ? { dir: resolve(io.cwd, dir) } : {}) });
  const job: ResolvedJob = {
    ...loaded,
    limits: {
      ...loaded.limits,
      ...(files !== undefined ? { files } : {}),
      ...(connections !== undefined ? { connections } : {}),
      ...(rate !== undefined ? { rate } : {}),
    },
    files: only.length > 0 ? loaded.files.filter((file) => matchesAny(file.relPath, only)) : loaded.files,
  };
  if (only.length > 0 && job.files.length === 0) {
    throw new UsageError(`--only ${only.join(' ')}: no file of the job matches`);
  }
  if (values['dry-run']) {
    io.stdout.write(formatPlan(job));
    return 0;
  }
  return execute(
    job,
    { reporter: stringFlag(values.reporter), quiet: values.quiet === true, verbose: values.verbose === true, failFast: values['fail-fast'] === true },
    io,
  );
}
