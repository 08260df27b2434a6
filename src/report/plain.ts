/**
 * Line-oriented progress for logs: cron, CI, pipes, `--reporter plain`. Never writes an ANSI escape.
 * One line per file start, finish, retry and failure; an overall progress line at most every 10 s.
 * Those are progress and go to `err`; the final summary and its list of failed files are the run's result and go
 * to `out`, so `pdl run jobs.yaml | tee log` keeps the result while a terminal still sees the progress.
 */
import type { EngineEmitter, EngineEvents, RangeRef, RunSummary } from '../engine/events.js';
import { formatBytes, formatDuration, formatEta, formatProgress, formatRange, formatSize, formatSpeed, oneLine } from './format.js';
import { subscribe, type Reporter, type ReporterOptions } from './reporter.js';
import { formatSummary } from './summary.js';

/** Minimum gap between two overall progress lines. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;

export class PlainReporter implements Reporter {
  readonly #options: ReporterOptions;
  readonly #now: () => number;
  #lastProgressAt: number;
  #detach: (() => void) | undefined;
  #ended = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#lastProgressAt = this.#now();
  }

  attach(events: EngineEmitter): void {
    this.#detach?.();
    const { quiet, verbose } = this.#options;
    const always = {
      'file:failed': (e: EngineEvents['file:failed']) => this.#failed(e),
    };
    if (quiet) {
      this.#detach = subscribe(events, always);
      return;
    }
    this.#detach = subscribe(events, {
      ...always,
      'run:start': (e) => {
        this.#lastProgressAt = this.#now();
        this.#line('run', `${e.files} files, ${formatSize(e.totalBytes)}`);
      },
      'file:start': (e) => this.#line('start', `${e.path} (${startSize(e)}) from ${e.url}`),
      'file:retry': (e) => this.#line('retry', `${e.path}: ${retryText(e)}`),
      'run:note': (e) => this.#line('note', e.message),
      'file:done': (e) => this.#line(doneLabel(e.outcome), `${e.path}  ${doneText(e)}`),
      'file:interrupted': (e) =>
        this.#line('stop', e.resumable !== false ? `${e.path} at ${formatProgress(e.completedBytes, e.size)}` : `${e.path}: not resumable, ${formatBytes(e.transferred)} discarded`),
      'run:progress': (e) => this.#progress(e),
      ...(verbose ? this.#verboseHandlers() : {}),
    });
  }

  async end(summary: RunSummary): Promise<void> {
    this.#detach?.();
    this.#detach = undefined;
    if (this.#ended) return;
    this.#ended = true;
    for (const line of formatSummary(summary).split('\n')) this.#write(this.#options.out, line);
  }

  #verboseHandlers() {
    return {
      'file:queued': (e: EngineEvents['file:queued']) => this.#line('queued', `${e.path} (priority ${e.priority})`),
      'file:verified': (e: EngineEvents['file:verified']) => this.#line('ok', `${e.path} ${e.algorithm} ${e.hex}`),
      'range:start': (e: RangeRef) => this.#line('range', `${rangeText(e)} started`),
      'range:done': (e: RangeRef) => this.#line('range', `${rangeText(e)} done`),
      'range:retry': (e: EngineEvents['range:retry']) => this.#line('retry', `${rangeText(e)}: ${retryText(e)}`),
    };
  }

  #failed(e: EngineEvents['file:failed']): void {
    // One line says it all for a log: what, why, from where, and how far it got (a rerun resumes from there).
    const code = this.#options.verbose ? `${e.error.code}, ` : '';
    this.#line('FAILED', `${e.path}: ${e.error.message} [${code}${e.url}, stopped at ${e.stoppedAt}]`);
  }

  #progress(e: EngineEvents['run:progress']): void {
    const now = this.#now();
    if (now - this.#lastProgressAt < PLAIN_PROGRESS_INTERVAL_MS) return;
    this.#lastProgressAt = now;
    const remaining = e.totalBytes === undefined ? undefined : e.totalBytes - e.transferred;
    const parts = [
      `${e.filesDone}/${e.filesTotal} files`,
      ...(e.filesFailed > 0 ? [`${e.filesFailed} failed`] : []),
      formatProgress(e.transferred, e.totalBytes),
      formatSpeed(e.speed),
      `ETA ${formatEta(remaining, e.speed)}`,
    ];
    this.#line('progress', parts.join(', '));
  }

  #line(label: string, text: string): void {
    this.#write(this.#options.err, `${label.padEnd(6)} ${text}`);
  }

  #write(stream: NodeJS.WritableStream, line: string): void {
    const stamp = this.#options.timestamps ? `${new Date(this.#now()).toISOString()} ` : '';
    stream.write(`${stamp}${oneLine(line)}\n`);
  }
}

function startSize(e: EngineEvents['file:start']): string {
  const size = formatSize(e.size);
  // Said once, where the file starts: why `-c 8` uses one connection, and why a stop will not be resumable.
  if (!e.ranges) return `${size}, one connection: the server does not accept byte ranges, so a stop cannot be resumed`;
  return e.resumedBytes > 0 ? `${size}, resuming at ${formatBytes(e.resumedBytes)}` : size;
}

function retryText(e: { reason: string; attempt: number; delayMs: number }): string {
  return `${e.reason} (attempt ${e.attempt}, waiting ${formatDuration(e.delayMs)})`;
}

/** "unchanged path", "repaired path", "reused path": what a mirror run did to each file, greppable in a log. */
function doneLabel(outcome: EngineEvents['file:done']['outcome']): string {
  return outcome === 'unchanged' || outcome === 'repaired' || outcome === 'reused' ? outcome : 'done';
}

function doneText(e: EngineEvents['file:done']): string {
  const size = formatBytes(e.size);
  if (e.outcome === 'skipped') return `${size} skipped${e.reason === undefined ? '' : ` (${e.reason})`}`;
  if (e.outcome === 'unchanged' || e.outcome === 'reused') return `${size}${e.reason === undefined ? '' : ` (${e.reason})`}`;
  const speed = e.elapsedMs > 0 ? `${formatSpeed((e.transferred * 1000) / e.elapsedMs)}` : undefined;
  const notes = [
    ...(speed === undefined ? [] : [speed]),
    ...(e.outcome === 'resumed' ? [`resumed, ${formatBytes(e.transferred)} fetched`] : []),
  ];
  return `${size} in ${formatDuration(e.elapsedMs)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function rangeText(e: RangeRef): string {
  return `${e.path} #${e.connection} ${formatRange(e.start, e.end)}`;
}
