/**
 * The `pdl` command: maps argv to a command, prints one clear line per error (the full error under --verbose),
 * and sets the exit code. It never lets a stack trace reach the user otherwise.
 */
import { PdlError, UsageError, EXIT_CODES } from '../errors.js';
import type { CliIO } from './io.js';
import { answerWithoutCommand } from './quick-answer.js';

type Command = (argv: string[], io: CliIO) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  get: async () => (await import('./commands/get.js')).getCommand,
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  schema: async () => (await import('./commands/schema.js')).schemaCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  lock: async () => (await import('./commands/lock.js')).lockCommand,
  pin: async () => (await import('./commands/pin.js')).pinCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const answered = answerWithoutCommand(argv, io.stdout);
    if (answered !== undefined) return answered;
    const [name = '', ...rest] = argv;
    const load = commands[name];
    if (!load) throw new UsageError(`unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}. See 'pdl --help'.`);
    return await (await load())(rest, io);
  } catch (error) {
    return reportError(error, io, verbose);
  }
}

export function reportError(error: unknown, io: CliIO, verbose: boolean): number {
  if (error instanceof PdlError) {
    io.stderr.write(`pdl: ${error.message}\n`);
    // A usage or job-file error is the user's input, fully described by its message: a stack would only say where
    // pdl noticed it, so --verbose adds none.
    if (verbose && error.stack && error.kind !== 'usage' && error.kind !== 'job') io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  io.stderr.write(`pdl: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('pdl: run again with --verbose for details\n');
  return EXIT_CODES.someFailed;
}
