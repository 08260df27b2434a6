/**
 * The factory the CLI uses: which reporter a run gets, created on demand so `--reporter json` never loads listr2
 * or the tty code. The contract every reporter meets is in reporter.ts.
 */
import type { Reporter, ReporterOptions } from './reporter.js';

export type ReporterKind = 'tty' | 'plain' | 'json';

export async function createReporter(kind: ReporterKind, options: ReporterOptions): Promise<Reporter> {
  switch (kind) {
    case 'json': {
      const { JsonReporter } = await import('./json.js');
      return new JsonReporter(options);
    }
    case 'plain': {
      const { PlainReporter } = await import('./plain.js');
      return new PlainReporter(options);
    }
    case 'tty': {
      // Nothing live to draw when quiet: failures and the summary as plain lines.
      if (options.quiet) {
        const { PlainReporter } = await import('./plain.js');
        return new PlainReporter({ ...options, timestamps: false });
      }
      const { createTtyReporter } = await import('./tty.js');
      return createTtyReporter(options);
    }
  }
}

/**
 * The live display needs a terminal on the stream it draws to; anything else (cron, CI, pipes) gets lines.
 * A pseudo-terminal that reports a 0×0 size (`script` without a terminal, some CI runners) cannot hold a
 * redrawn display either: the renderer would cut every line away. Nor can a terminal that says it is dumb
 * (TERM=dumb: Emacs shells, some CI consoles), which cannot move the cursor.
 */
export function defaultReporterKind(
  err: { isTTY?: boolean; columns?: number; rows?: number },
  env: Record<string, string | undefined> = {},
): ReporterKind {
  if (env.TERM === 'dumb') return 'plain';
  return err.isTTY === true && (err.columns ?? 80) > 0 && (err.rows ?? 24) > 0 ? 'tty' : 'plain';
}
