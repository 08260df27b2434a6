/**
 * What the live display knows, folded from engine events (and, at the end, from the run's summary) into a plain
 * DisplayState value. tty-view.ts turns that value and the terminal's size into lines; nothing here draws.
 *
 * Bytes are whole-file bytes everywhere (a resumed file counts what it had on disk, as its own line does), while
 * the speed is measured on what this run fetched, so a resume neither inflates the speed nor hides the bytes kept.
 */
import type { EngineEvents, FileRef, RunSummary } from '../engine/events.js';
import { formatDuration, oneLine } from './format.js';
import type { EngineHandlers } from './reporter.js';

/** Files in flight that can have a line of their own; the rest are counted on one "and N more" line. */
export const FILE_SLOTS = 8;
/** Failures listed by name; later ones are counted on the "done" line. */
export const FAILED_SLOTS = 5;
/** The run's speed is measured over this window of recent progress. */
const SPEED_WINDOW_MS = 3000;

export type RunPhase =
  | { kind: 'running' }
  | { kind: 'done' }
  | { kind: 'failed' }
  | { kind: 'stopped'; reason: NonNullable<RunSummary['stopped']> };

export interface ConnectionState {
  /** 1..N among the file's live connections: a connection keeps its number while it moves from range to range. */
  label: number;
  start: number;
  end: number;
  position: number;
  speed: number;
}

export interface FileState {
  path: string;
  size: number | undefined;
  /** Bytes of the file on disk, including any kept from an earlier run. */
  bytes: number;
  /** This run's bytes per second. */
  speed: number;
  connections: ConnectionState[];
  /** A retry notice, shown until progress resumes after the retry delay. */
  note: string | undefined;
}

export interface DisplayState {
  phase: RunPhase;
  files: { total: number; done: number; skipped: number; failed: number; interrupted: number };
  bytes: {
    /** Whole-file bytes on disk of every file finished or in flight (failed files left out). */
    done: number;
    /** Sum of the sizes known so far (a file of unknown size counts what it has). */
    known: number;
    /** Files whose size is known. */
    sized: number;
    /** Files not failed whose size is not known yet (queued, or no Content-Length). */
    unsized: number;
  };
  /** This run's network bytes per second, over the last few seconds. */
  speed: number;
  /** "path: reason" for the first FAILED_SLOTS failures, in arrival order. */
  failures: string[];
  /** Files in flight, in a stable order: a file keeps its place while in flight. */
  active: FileState[];
}

type Connection = EngineEvents['file:progress']['connections'][number];

interface ActiveFile {
  path: string;
  size: number | undefined;
  bytes: number;
  speed: number;
  connections: ConnectionState[];
  /** Range id → connection number. */
  labels: Map<number, number>;
  note: { text: string; until: number } | undefined;
}

/** The engine's id of the range a connection is working on (renamed upstream; read in this one place). */
function rangeId(c: Connection | EngineEvents['range:retry']): number {
  return c.connection;
}

export class TtyState {
  readonly #now: () => number;
  readonly #active = new Map<number, ActiveFile>();
  readonly #slots: Array<number | undefined> = Array.from({ length: FILE_SLOTS }, () => undefined);
  readonly #failures: string[] = [];
  readonly #samples: Array<{ at: number; bytes: number }> = [];
  #filesTotal = 0;
  #done = 0;
  #skipped = 0;
  #failed = 0;
  #interrupted = 0;
  /** Bytes and sizes of files that ended (done or interrupted). */
  #ended = { bytes: 0, known: 0, sized: 0, unsized: 0 };
  #final: DisplayState | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  handlers(): EngineHandlers {
    return {
      'run:start': (e) => {
        this.#filesTotal = e.files;
      },
      'file:start': (e) => {
        const file = this.#file(e);
        file.size = e.size;
        file.bytes = e.resumedBytes;
      },
      'file:progress': (e) => {
        const file = this.#file(e);
        file.bytes = e.completedBytes;
        // Bytes reach the file's count in write batches (up to 1 MiB per connection), so a slow connection can
        // show 0 B/s for seconds while it receives; the connections' own rates are what the network delivers.
        file.speed = e.connections.length > 0 ? e.connections.reduce((n, c) => n + c.speed, 0) : e.speed;
        if (e.total !== undefined) file.size = e.total;
        file.labels = relabel(file.labels, e.connections.map(rangeId));
        file.connections = e.connections
          .map((c) => ({ label: file.labels.get(rangeId(c)) ?? 0, start: c.start, end: c.end, position: c.position, speed: c.speed }))
          .sort((a, b) => a.label - b.label);
        if (file.note !== undefined && this.#now() >= file.note.until) file.note = undefined;
      },
      'file:retry': (e) => this.#note(e, `retry ${e.attempt} in ${formatDuration(e.delayMs)}: ${e.reason}`, e.delayMs),
      'range:retry': (e) => {
        const label = this.#active.get(e.index)?.labels.get(rangeId(e));
        this.#note(e, `${label === undefined ? '' : `conn ${label} `}retry ${e.attempt}: ${e.reason}`, e.delayMs);
      },
      'file:done': (e) => {
        this.#active.delete(e.index);
        // Files `newer` found current count with the skipped: nothing was written either way.
        if (e.outcome === 'skipped' || e.outcome === 'unchanged') this.#skipped += 1;
        else this.#done += 1;
        this.#ended.bytes += e.size;
        this.#ended.known += e.size;
        this.#ended.sized += 1;
      },
      'file:failed': (e) => {
        this.#active.delete(e.index);
        this.#failed += 1;
        if (this.#failures.length < FAILED_SLOTS) this.#failures.push(oneLine(`${e.path}: ${e.error.message}`));
      },
      'file:interrupted': (e) => {
        this.#active.delete(e.index);
        this.#interrupted += 1;
        this.#ended.bytes += e.completedBytes;
        this.#ended.known += e.size ?? e.completedBytes;
        if (e.size === undefined) this.#ended.unsized += 1;
        else this.#ended.sized += 1;
      },
      'run:progress': (e) => {
        this.#filesTotal = Math.max(this.#filesTotal, e.filesTotal);
        this.#sample(e.transferred);
      },
    };
  }

  /** The run is over: from now on the state is the summary's, whatever events came or were missed. */
  finish(summary: RunSummary): void {
    const kept = summary.files.filter((f) => f.outcome !== 'failed');
    const failures = [...this.#failures];
    for (const f of summary.files) {
      if (failures.length >= FAILED_SLOTS) break;
      const line = oneLine(`${f.path}: ${f.error?.message ?? 'failed'}`);
      if (f.outcome === 'failed' && !failures.some((known) => known.startsWith(`${oneLine(f.path)}: `))) failures.push(line);
    }
    this.#final = {
      phase: phaseOf(summary),
      files: {
        total: Math.max(summary.files.length, summary.done + summary.skipped + summary.unchanged + summary.failed + summary.interrupted),
        done: summary.done,
        skipped: summary.skipped + summary.unchanged,
        failed: summary.failed,
        interrupted: summary.interrupted,
      },
      bytes: {
        done: sum(kept.map((f) => f.completedBytes)),
        known: sum(kept.map((f) => f.size ?? f.completedBytes)),
        sized: kept.filter((f) => f.size !== undefined).length,
        unsized: kept.filter((f) => f.size === undefined).length,
      },
      speed: summary.speed,
      failures,
      active: [],
    };
  }

  snapshot(): DisplayState {
    if (this.#final !== undefined) return this.#final;
    this.#assignSlots();
    const active = this.#slots.flatMap((index) => {
      const file = index === undefined ? undefined : this.#active.get(index);
      return file === undefined ? [] : [file];
    });
    // Files past the slots are in flight too; their lines are counted, not drawn.
    const unslotted = [...this.#active.values()].filter((file) => !active.includes(file));
    const all = [...active, ...unslotted];
    const ended = this.#done + this.#skipped + this.#failed + this.#interrupted;
    const filesTotal = Math.max(this.#filesTotal, ended + all.length);
    const queued = filesTotal - ended - all.length;
    return {
      phase: { kind: 'running' },
      files: { total: filesTotal, done: this.#done, skipped: this.#skipped, failed: this.#failed, interrupted: this.#interrupted },
      bytes: {
        done: this.#ended.bytes + sum(all.map((f) => f.bytes)),
        known: this.#ended.known + sum(all.map((f) => f.size ?? f.bytes)),
        sized: this.#ended.sized + all.filter((f) => f.size !== undefined).length,
        unsized: this.#ended.unsized + queued + all.filter((f) => f.size === undefined).length,
      },
      // Both are lower bounds of what the network delivers: the written bytes lag behind write batches, the files
      // in flight miss files that started and ended between two progress events (small files).
      speed: Math.max(this.#speed(), sum(all.map((f) => f.speed))),
      failures: [...this.#failures],
      active: all.map((f) => ({
        path: f.path, size: f.size, bytes: f.bytes, speed: f.speed, connections: f.connections, note: f.note?.text,
      })),
    };
  }

  #sample(bytes: number): void {
    const at = this.#now();
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > SPEED_WINDOW_MS) this.#samples.shift();
  }

  #speed(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first === undefined || last === undefined || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Free the slots of files no longer in flight, then hand them to waiting files, oldest first. */
  #assignSlots(): void {
    const slotted = new Set<number>();
    this.#slots.forEach((index, i) => {
      if (index !== undefined && !this.#active.has(index)) this.#slots[i] = undefined;
      else if (index !== undefined) slotted.add(index);
    });
    const waiting = [...this.#active.keys()].filter((index) => !slotted.has(index));
    for (let i = 0; i < this.#slots.length && waiting.length > 0; i += 1) {
      if (this.#slots[i] === undefined) this.#slots[i] = waiting.shift();
    }
  }

  /** The file's state, created if its start was missed: events may arrive in any order. */
  #file(ref: FileRef): ActiveFile {
    let file = this.#active.get(ref.index);
    if (file === undefined) {
      file = { path: ref.path, size: undefined, bytes: 0, speed: 0, connections: [], labels: new Map(), note: undefined };
      this.#active.set(ref.index, file);
    }
    return file;
  }

  #note(ref: FileRef, text: string, delayMs: number): void {
    this.#file(ref).note = { text, until: this.#now() + delayMs };
  }
}

/**
 * Number live ranges as connections 1..N: a range keeps its number, a new range takes the lowest number free
 * (the one its finished predecessor had), so the labels stay put while the engine's range ids climb.
 */
export function relabel(previous: ReadonlyMap<number, number>, ids: readonly number[]): Map<number, number> {
  const next = new Map<number, number>();
  const used = new Set<number>();
  for (const id of ids) {
    const label = previous.get(id);
    if (label !== undefined && !used.has(label)) {
      next.set(id, label);
      used.add(label);
    }
  }
  let free = 1;
  for (const id of ids) {
    if (next.has(id)) continue;
    while (used.has(free)) free += 1;
    next.set(id, free);
    used.add(free);
  }
  return next;
}

function phaseOf(summary: RunSummary): RunPhase {
  // --fail-fast stops the run with an abort: that is a failure, not the user stopping it.
  if (summary.stopped !== undefined && !(summary.stopped === 'abort' && summary.failed > 0)) return { kind: 'stopped', reason: summary.stopped };
  return summary.failed > 0 ? { kind: 'failed' } : { kind: 'done' };
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
