/** `pdl plan <job.yaml>`: ask the servers (no bodies) and print what a run would do to each file. Writes nothing. */
import { bytesOf,planJob,type Plan,type PlannedFile } from '../../mirror/plan.js';
import { loadJobFile } from '../../job/load.js';
import { formatBytes,oneLine } from '../../report/format.js';
import { COMMAND_OPTIONS,listFlag,parse,stringFlag } from '../args.js';
import { applyOverrides } from '../job-overrides.js';
import { shardFlags } from '../queue-flags.js';
import { selectShard } from '../../shard/shard.js';
import { planHelp } from '../help.js';
import { proxyFromEnv } from '../proxy-env.js';
import type { CliIO } from '../io.js';
import { resolve } from 'node:path';

export async function planCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    'plan',
    argv,
    COMMAND_OPTIONS.plan,
    { min: 1, max: 1, names: 'the job file' },
  );
  if (values.help) {
    io.stdout.write(planHelp());
    return 0;
  }
  const dir = stringFlag(values.dir);
  const only = listFlag(values.only);
  const loaded = await loadJobFile(positionals[0]!, { env: io.env, ...(dir !== undefined ? { dir: resolve(io.cwd, dir) } : {}) });
  // The same selection `pdl run` would make with the same flags, so the plan describes that run.
  const job = selectShard(applyOverrides(loaded, { only, newer: values.newer === true }), shardFlags(values, io.env));
  const plan = await planJob(job, { signal: io.signal, proxy: proxyFromEnv(io.env) });
  io.stdout.write(formatFilePlan(plan));
  return 0;
}

/** One line per file in job order (`action  path  detail`), then the totals. */
export function formatFilePlan(plan: Plan): string {
  const width = Math.max(...plan.files.map((file) => file.action.length), 4);
  const lines = plan.files.map((file) => oneLine(`${file.action.padEnd(width)}  ${file.path}  ${detail(file)}`));
  const counts = new Map<string, number>();
  for (const file of plan.files) counts.set(file.action, (counts.get(file.action) ?? 0) + 1);
  const fetching = plan.files.filter((file) => bytesOf(file) !== 0).length;
  const unknown = plan.unknownSizes > 0 ? ` + ${plan.unknownSizes} file${plan.unknownSizes === 1 ? '' : 's'} of unknown size` : '';
  const failing = counts.get('fail') ?? 0;
  const fails = failing > 0 ? `; ${failing} of ${plan.files.length} file${plan.files.length === 1 ? '' : 's'} would fail` : '';
  lines.push(`total: ${bytes(plan.totalBytes)} to transfer${unknown}; ${fetching} of ${plan.files.length} files to fetch (${[...counts].map(([action, n]) => `${n} ${action}`).join(', ')})${fails}`);
  return `${lines.join('\n')}\n`;
}

function detail(file: PlannedFile): string {
  switch (file.action) {
    case 'download':
      return `${size(file.size)}${file.note === undefined ? '' : ` (${file.note})`}`;
    case 'repair':
      return `${size(file.size)} (the local copy differs from what pdl wrote)`;
    case 'resume':
      return `${bytes(file.left)} left of ${bytes(file.size)}`;
    case 'unchanged':
    case 'skip':
      return `${bytes(file.size)} (${file.reason})`;
    case 'reuse':
      return `${bytes(file.size)} from ${file.from}`;
    case 'fail':
      return file.reason;
  }
}

function size(n: number | undefined): string {
  return n === undefined ? 'size unknown' : bytes(n);
}

/** Exact, so scripts can add them up; with binary units once they help a reader. */
function bytes(n: number): string {
  return n < 1024 ? `${n} bytes` : `${n} bytes (${formatBytes(n)})`;
}
