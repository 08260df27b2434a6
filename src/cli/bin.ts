#!/usr/bin/env node
/** Entry point of the `pdl` binary: real process I/O and signals around `main`. */
import { main } from './main.js';
import { installExitHooks } from './run-session.js';

// `pdl run … | head` closes the pipe early: that is not an error of the download, so writes just stop.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: installExitHooks(),
});
