/**
 * `pdl pin <job.yaml>`: give every entry without a checksum `checksum: sha256:<hex>`, in the job file itself.
 * Only those entries are run (like `pdl run`: a complete local copy is read, not fetched); the file is then edited
 * as text (lockfile/pin.ts), so comments and layout stay as they were, and replaced atomically.
 */
import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { toLocalIOError } from '../../error-wrap.js';
import { pinChecksums } from '../../lockfile/pin.js';
import { writeFileAtomic } from '../../storage/small-file.js';
import { parse } from '../args.js';
import { pinHelp } from '../help.js';
import type { CliIO } from '../io.js';
import { runLockLabel } from '../run-session.js';
import { observeRun } from '../observe-run.js';
import { loadObservedJob, observeFlags } from './lock.js';

export async function pinCommand(argv: string[], io: CliIO): Promise<number> {
  const parsed = parse('pin', argv, observeFlags, { min: 1, max: 1, names: 'the job file' });
  if (parsed.values.help) {
    io.stdout.write(pinHelp());
    return 0;
  }
  const name = parsed.positionals[0]!;
  // The real file: pinning a symlinked job edits its target rather than replacing the link by a copy.
  const jobPath = await realpath(resolve(io.cwd, name)).catch(() => resolve(io.cwd, name));
  const { job, options } = await loadObservedJob(parsed, io);
  const before = await readText(jobPath);
  // A checksum list (`sha256:file:…`) is a checksum too: the entry has a `checksum:` key already.
  const todo = job.files.filter((file) => file.checksum === undefined && file.checksumList === undefined);
  if (todo.length === 0) {
    io.stdout.write(`${name}: every entry has a checksum already\n`);
    return 0;
  }
  const observed = await observeRun({ ...job, files: todo }, options, io, runLockLabel('pin', jobPath));
  if (observed.files === undefined) {
    io.stderr.write(`pdl: ${name} was not changed: not every file ended well (see above)\n`);
    return observed.exitCode;
  }
  // Indexes point into the text read before the run: someone editing the job meanwhile would get wrong lines.
  if ((await readText(jobPath)) !== before) throw new UsageError(`${name} changed while pin ran; it was not changed by pdl, run pdl pin again`);
  const { text, pinned } = pinChecksums(before, new Map(observed.files.map((file) => [file.index, file.sha256])));
  await writeFileAtomic(jobPath, text);
  io.stdout.write(`${name}: pinned ${pinned.length} entr${pinned.length === 1 ? 'y' : 'ies'} (checksum: sha256:…)\n`);
  return 0;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw toLocalIOError(error, path, 'read');
  }
}
