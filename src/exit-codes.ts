/** The kinds of error pdl tells apart, and the process exit code of each (documented in the README). */

export type ErrorKind = 'usage' | 'job' | 'integrity' | 'network' | 'protocol' | 'io' | 'interrupted' | 'locked' | 'queue' | 'internal';

/** Exit codes, documented in the README. */
export const EXIT_CODES = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  job: 2,
  integrity: 3,
  network: 4,
  protocol: 5,
  io: 6,
  locked: 7,
  /** `--max-runtime` elapsed: stopped like SIGINT (progress saved), told apart for cron. */
  maxRuntime: 8,
  /** `--queue`: Redis could not be reached, or was lost mid-run (see QueueError). */
  queue: 9,
  sigint: 130,
  sigterm: 143,
} as const;

export function exitCodeOf(kind: ErrorKind): number {
  switch (kind) {
    case 'usage':
      return EXIT_CODES.usage;
    case 'job':
      return EXIT_CODES.job;
    case 'integrity':
      return EXIT_CODES.integrity;
    case 'network':
      return EXIT_CODES.network;
    case 'protocol':
      return EXIT_CODES.protocol;
    case 'io':
      return EXIT_CODES.io;
    case 'locked':
      return EXIT_CODES.locked;
    case 'queue':
      return EXIT_CODES.queue;
    case 'interrupted':
      return EXIT_CODES.sigint;
    case 'internal':
      return EXIT_CODES.someFailed;
  }
}
