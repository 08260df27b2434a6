/**
 * The reporter contract: reporters only ever see engine events and the final summary, through subscribe().
 */
import type { EngineEmitter, EngineEventName, EngineEvents, RunSummary } from '../engine/events.js';

export interface Reporter {
  /** Subscribe to the engine's events. Call once, before the run starts. */
  attach(events: EngineEmitter): void;
  /**
   * Unsubscribe, stop drawing and print the summary (with the process exit code, where the reporter writes it).
   * Safe to call without attach and more than once.
   */
  end(summary: RunSummary, exitCode?: number): Promise<void>;
}

export interface ReporterOptions {
  /** Where results go: the final summary and its list of failed files; JSON lines. Normally stdout. */
  out: NodeJS.WritableStream;
  /** Where progress goes: the live tty display, plain progress lines. Normally stderr. */
  err: NodeJS.WritableStream;
  /** Only failures and the final summary. */
  quiet: boolean;
  /** plain: also range events, queueing and checksum lines. */
  verbose: boolean;
  /** plain: prefix every line with an ISO time (logs from cron and CI). */
  timestamps: boolean;
  /** Clock for throttling and timestamps; tests inject one. Defaults to Date.now. */
  now?: () => number;
}

export type EngineHandlers = { [K in EngineEventName]?: (event: EngineEvents[K]) => void };

/**
 * Subscribe typed handlers; returns the unsubscribe function. A handler that throws is contained here:
 * the engine emits synchronously, so a reporter bug must not abort a download.
 */
export function subscribe(events: EngineEmitter, handlers: EngineHandlers): () => void {
  const offs: Array<() => void> = [];
  for (const name of Object.keys(handlers) as EngineEventName[]) {
    const handler = handlers[name] as ((event: unknown) => void) | undefined;
    if (handler === undefined) continue;
    const safe = (event: unknown): void => {
      try {
        handler(event);
      } catch {
        // Deliberately swallowed: see above.
      }
    };
    events.on(name, safe);
    offs.push(() => events.off(name, safe));
  }
  return () => {
    for (const off of offs) off();
  };
}
