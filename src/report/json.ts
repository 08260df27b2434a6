/**
 * NDJSON for machines (`--reporter json`): one object per line on `out`, `{"event": name, ...fields, "time"}`,
 * ending with `{"event":"summary", exitCode, stopped, totals, files}` — the same fields and words as the --report
 * file (run-report.ts). Progress is thinned to one line per second per file (and overall) so a long run does not
 * produce megabytes of progress. The lines are a documented format (README, "Output"), so engine events are mapped
 * to it here: ISO times, `status` for a file's end, `range` for a range worker's id, null for an unknown end.
 * `undefined` fields are written as `null` so every line of a kind has the same keys.
 */
import type { EngineEmitter, EngineEventName, EngineEvents, RunSummary } from '../engine/events.js';
import type { Reporter, ReporterOptions } from './reporter.js';
import { runResultOf } from './run-report.js';

/** Minimum gap between two progress lines for the same file, and between two overall progress lines. */
export const JSON_PROGRESS_INTERVAL_MS = 1000;

/** Events a file's last progress line is forgotten on, so the throttle map stays as small as the files in flight. */
const FILE_ENDS: ReadonlySet<EngineEventName> = new Set(['file:done', 'file:failed', 'file:interrupted']);

/** What quiet keeps: failures (the summary line is always written). */
const QUIET_EVENTS: ReadonlySet<EngineEventName> = new Set(['file:failed', 'file:interrupted']);

export class JsonReporter implements Reporter {
  readonly #options: ReporterOptions;
  readonly #now: () => number;
  readonly #lastFileProgress = new Map<number, number>();
  #lastRunProgress = Number.NEGATIVE_INFINITY;
  #detach: (() => void) | undefined;
  #ended = false;
  /** Lines not written yet: a job of many small files emits thousands of events; one write per loop turn. */
  #pending: string[] = [];
  #flushScheduled = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  attach(events: EngineEmitter): void {
    this.#detach?.();
    this.#detach = events.onAny((name, event) => {
      try {
        this.#handle(name, event as EngineEvents[EngineEventName]);
      } catch {
        // A reporter bug must not abort a download: the engine emits synchronously.
      }
    });
  }

  async end(summary: RunSummary, exitCode?: number): Promise<void> {
    this.#detach?.();
    this.#detach = undefined;
    if (this.#ended) return;
    this.#ended = true;
    this.#write('summary', runResultOf(summary, exitCode ?? null), this.#now());
    this.#flush();
  }

  #handle(name: EngineEventName, event: EngineEvents[EngineEventName]): void {
    // The summary line carries the same RunSummary; writing both would double the file list.
    if (name === 'run:done') return;
    if (this.#options.quiet && !QUIET_EVENTS.has(name)) return;
    const now = this.#now();
    if (name === 'run:progress') {
      if (now - this.#lastRunProgress < JSON_PROGRESS_INTERVAL_MS) return;
      this.#lastRunProgress = now;
    } else if (name === 'file:progress' && 'index' in event) {
      const last = this.#lastFileProgress.get(event.index);
      if (last !== undefined && now - last < JSON_PROGRESS_INTERVAL_MS) return;
      this.#lastFileProgress.set(event.index, now);
    } else if (FILE_ENDS.has(name) && 'index' in event) {
      this.#lastFileProgress.delete(event.index);
    }
    this.#write(name, wireOf(name, event), now);
  }

  #write(name: string, fields: object, now: number): void {
    const line = JSON.stringify({ event: name, ...fields, time: new Date(now).toISOString() }, nullForUndefined);
    this.#pending.push(`${line}\n`);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#options.out.write(text);
  }
}

function nullForUndefined(_key: string, value: unknown): unknown {
  return value === undefined ? null : value;
}

type Range = { connection: number; start: number; end: number };

/** A range worker as written: its id is `range` (it is not a socket), an end the engine does not know is null. */
function rangeOf<T extends Range>({ connection, end, ...rest }: T): Omit<T, 'connection' | 'end'> & { range: number; end: number | null } {
  return { ...rest, range: connection, end: typeof end === 'number' && end >= 0 ? end : null };
}

function wireOf(name: EngineEventName, event: EngineEvents[EngineEventName]): object {
  switch (name) {
    case 'run:start': {
      const e = event as EngineEvents['run:start'];
      return { ...e, startedAt: new Date(e.startedAt).toISOString() };
    }
    case 'file:progress': {
      const { connections, ...rest } = event as EngineEvents['file:progress'];
      return { ...rest, ranges: Array.isArray(connections) ? connections.map((c) => rangeOf(c)) : [] };
    }
    case 'range:start':
    case 'range:done':
    case 'range:retry':
      return rangeOf(event as EngineEvents['range:start']);
    case 'file:done': {
      const { outcome, ...rest } = event as EngineEvents['file:done'];
      return { ...rest, status: outcome };
    }
    case 'file:failed': {
      // stoppedAt is the same bytes as text; completedBytes and size say it as numbers.
      const { stoppedAt: _text, ...rest } = event as EngineEvents['file:failed'];
      return rest;
    }
    case 'file:interrupted': {
      const e = event as EngineEvents['file:interrupted'];
      return { ...e, resumable: e.resumable !== false };
    }
    default:
      return event;
  }
}
