import { resolve } from 'node:path';
import { loadJobFile, summarizeJob } from '../../job/load.js';
import { parse } from '../args.js';
import { validateHelp } from '../help.js';
import type { CliIO } from '../main.js';

export async function validateCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse('validate', argv, { verbose: { type: 'boolean' } }, { min: 1, max: 1, names: 'the job file' });
  if (values.help) {
    io.stdout.write(validateHelp);
    return 0;
  }
  const file = positionals[0]!;
  const job = await loadJobFile(resolve(io.cwd, file), { env: io.env, displayName: file });
  io.stdout.write(`${summarizeJob(job)}\n`);
  return 0;
}
