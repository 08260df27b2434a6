/**
 * What pdl answers without running a command: `--version` and `--help` (and no arguments at all). The binary asks
 * this before it loads the CLI, so these cost little more than starting Node; main.ts asks it too, so the answers
 * live in one place.
 */
import { EXIT_CODES } from '../exit-codes.js';
import { version } from './io.js';
import { mainHelp } from './main-help.js';

/** The exit code once `argv` asked for the version or the overview help (written to `stdout`); else undefined. */
export function answerWithoutCommand(argv: readonly string[], stdout: NodeJS.WritableStream): number | undefined {
  const [name] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(mainHelp());
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    stdout.write(`pdl ${version()}\n`);
    return EXIT_CODES.ok;
  }
  return undefined;
}
