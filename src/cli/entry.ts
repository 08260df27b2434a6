/**
 * The CLI as the binary loads it for every command. scripts/bundle.mjs bundles this module, with all it imports, into
 * one file (dist/bundle/cli/pdl.js), which Node loads with far less work than the hundreds of modules it holds.
 */
import { main } from './main.js';
import { installExitHooks } from './run-session.js';

export function runCli(argv: string[]): Promise<number> {
  return main(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: installExitHooks(),
  });
}
