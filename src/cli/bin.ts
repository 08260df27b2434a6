#!/usr/bin/env node
/** Entry point of the `pdl` binary: real process I/O and signals around `main`. */
import { EXIT_CODES } from '../errors.js';
import { releaseHeldClaimsSync } from '../storage/file-claim.js';
import { main } from './main.js';

// `pdl run … | head` closes the pipe early: that is not an error of the download, so writes just stop.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
  // A second Ctrl-C means "now": progress saved so far stays valid (the control file is written atomically).
  if (++signals > 1) process.exit(signal === 'SIGINT' ? EXIT_CODES.sigint : EXIT_CODES.sigterm);
  controller.abort(signal);
};
process.on('SIGINT', () => onSignal('SIGINT'));
// A second signal exits at once, before files settle: their claims on output paths go with the process anyway.
process.on('exit', releaseHeldClaimsSync);
process.on('SIGTERM', () => onSignal('SIGTERM'));

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
