/** The process exit code for a finished run: documented in the README's "Exit codes". */
import { EXIT_CODES, type ErrorKind } from '../errors.js';
import { exitCodeOf } from '../exit-codes.js';
import type { RunSummary } from '../engine/events.js';

export function exitCodeForRun(summary: RunSummary): number {
  if (summary.stopped === 'SIGINT') return EXIT_CODES.sigint;
  if (summary.stopped === 'SIGTERM') return EXIT_CODES.sigterm;
  if (summary.stopped === 'max-runtime') return EXIT_CODES.maxRuntime;
  const failures = summary.files.filter((file) => file.outcome === 'failed');
  if (failures.length === 0) return summary.interrupted > 0 ? EXIT_CODES.sigint : EXIT_CODES.ok;
  const kinds = new Set(failures.map((file) => file.error?.kind ?? 'unknown'));
  if (kinds.size === 1) {
    const [kind] = kinds;
    // 'locked': every failed file is being written by another live pdl process (FileClaimedError).
    if (kind === 'integrity' || kind === 'network' || kind === 'protocol' || kind === 'io' || kind === 'locked') return exitCodeOf(kind as ErrorKind);
  }
  return EXIT_CODES.someFailed;
}
