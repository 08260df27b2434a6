/**
 * `pdl init [jobs.yaml]`: a starter job and the schema it names, side by side, so editor validation works wherever
 * the user keeps jobs. Nothing that exists is replaced unless --force says so, and nothing is written unless both
 * files can be.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { toLocalIOError } from '../../error-wrap.js';
import { jobSchemaText } from '../../job/schema.js';
import { writeFileAtomic } from '../../storage/small-file.js';
import { COMMAND_OPTIONS, parse } from '../args.js';
import { initHelp } from '../help.js';
import type { CliIO } from '../io.js';
import { STARTER_SCHEMA_NAME, starterJob } from '../starter-job.js';

export async function initCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse('init', argv, COMMAND_OPTIONS.init, { min: 0, max: 1, names: 'the job file' });
  if (values.help) {
    io.stdout.write(initHelp);
    return 0;
  }
  const job = resolve(io.cwd, positionals[0] ?? 'jobs.yaml');
  const schema = join(dirname(job), STARTER_SCHEMA_NAME);
  const shown = (path: string) => relative(io.cwd, path) || path;
  const files = [
    { path: job, text: starterJob() },
    { path: schema, text: jobSchemaText() },
  ];
  if (values.force !== true) {
    const present = files.filter((file) => existsSync(file.path)).map((file) => shown(file.path));
    if (present.length > 0) {
      throw new UsageError(`init: ${present.join(' and ')} ${present.length === 1 ? 'already exists' : 'already exist'}; nothing was written (--force replaces ${present.length === 1 ? 'it' : 'them'})`);
    }
  }
  for (const file of files) {
    if (values.force === true) await writeFileAtomic(file.path, file.text);
    // 'wx': a file that appeared since the check above is still not replaced.
    else await writeFile(file.path, file.text, { flag: 'wx' }).catch(refuseExisting(shown(file.path)));
  }
  io.stdout.write(
    `wrote ${shown(job)} and ${shown(schema)} (the schema editors use; see its first line)\n` +
      `next: edit the URLs, then 'pdl validate ${shown(job)}' and 'pdl run ${shown(job)}'\n`,
  );
  return 0;
}

function refuseExisting(path: string): (error: NodeJS.ErrnoException) => never {
  return (error) => {
    if (error.code === 'EEXIST') throw new UsageError(`init: ${path} already exists (--force replaces it)`);
    if (error.code === 'ENOENT') throw new UsageError(`init: the folder of ${path} does not exist`);
    throw toLocalIOError(error, path, 'write');
  };
}
