#!/usr/bin/env node
/**
 * Entry point of the `pdl` binary. `--version` and `--help` are answered here, from a few small modules, so they cost
 * little more than starting Node; every command loads the bundled CLI (entry.ts, built into dist/bundle/ by
 * `npm run build` and `prepare`), which Node loads far faster than the hundreds of modules it is made of.
 */
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from '../exit-codes.js';
import { answerWithoutCommand } from './quick-answer.js';

// `pdl run … | head` closes the pipe early: that is not an error of the download, so writes just stop.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const argv = process.argv.slice(2);
const answered = answerWithoutCommand(argv, process.stdout);
if (answered !== undefined) {
  process.exitCode = answered;
} else {
  // Node ≥ 22.1 can keep V8's compiled code of the bundle between runs; Node 20 has no such thing (then a no-op). The
  // cache goes where Node puts it by default, as for npm and tsc, which do the same: $NODE_COMPILE_CACHE, or
  // node-compile-cache in the temp folder, one entry per Node version and file; NODE_DISABLE_COMPILE_CACHE=1 turns it
  // off. Failing to write it (a read-only temp folder) is not an error: Node just runs without it.
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  // By URL: the bundle is not a TypeScript module, so tsc neither resolves nor types it (the type comes from entry.ts).
  const bundle = new URL('../../bundle/cli/pdl.js', import.meta.url);
  let cli: typeof import('./entry.js') | undefined;
  try {
    cli = (await import(bundle.href)) as typeof import('./entry.js');
  } catch (error) {
    // A checkout compiled with tsc alone: say what to do instead of Node's module-resolution stack trace.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || existsSync(bundle)) throw error;
    process.stderr.write(`pdl: internal error: the bundled CLI is missing (${fileURLToPath(bundle)}); run 'npm run build'\n`);
    process.exitCode = EXIT_CODES.someFailed;
  }
  if (cli !== undefined) process.exitCode = await cli.runCli(argv);
}
