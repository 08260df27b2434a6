/** `pdl status <job.yaml> --queue URL [--json]`: where a shared job stands (done, failed, pending, active, workers). */
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { loadJobFile } from '../../job/load.js';
import { formatStatus, queueStatus } from '../../queue/status.js';
import { COMMAND_OPTIONS, parse, stringFlag } from '../args.js';
import { statusHelp } from '../help.js';
import type { CliIO } from '../io.js';
import { queueFlags } from '../queue-flags.js';

export async function statusCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse('status', argv, COMMAND_OPTIONS.status, { min: 1, max: 1, names: 'the job file' });
  if (values.help) {
    io.stdout.write(statusHelp());
    return 0;
  }
  const queue = queueFlags(values, io.env);
  if (!queue) throw new UsageError("status: missing --queue <url>. See 'pdl status --help'.");
  const dir = stringFlag(values.dir);
  const job = await loadJobFile(positionals[0]!, { env: io.env, ...(dir !== undefined ? { dir: resolve(io.cwd, dir) } : {}) });
  const status = await queueStatus(job, queue.target, queue.timing);
  io.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
  return 0;
}
