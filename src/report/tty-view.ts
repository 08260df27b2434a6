/**
 * What the live terminal display shows, computed from engine events with no listr2 in sight, so the
 * policy (what fits in ~20 lines, which files get a line, when failures collapse) is testable as data.
 * tty.ts copies each Frame onto its fixed listr2 slots.
 */
import type { EngineEvents, FileRef } from '../engine/events.js';
import { formatBytes, formatDuration, formatEta, formatProgress, formatRange, formatSpeed, oneLine } from './format.js';
import type { EngineHandlers } from './index.js';

/** Files in flight with a line of their own; the rest are counted on one "and N more in flight" line. */
export const FILE_SLOTS = 8;
/** Connection lines under one file (a file using more connections shows the first ones). */
export const CONNECTION_SLOTS = 4;
/** Failures listed by name; later ones are counted on the "done" line. */
export const FAILED_SLOTS = 5;
/** The display never exceeds this many lines, whatever the job size. */
export const MAX_LINES = 20;
const PATH_WIDTH = 48;

export interface FileLine {
  title: string;
  /** One line per connection shown, only when the file uses more than one and the line budget allows. */
  connections: string[];
}

export interface Frame {
  header: string;
  /** The header once the run is over. */
  final: string;
  /** "N done, M skipped · and K more failed", or '' before anything finished. */
  done: string;
  /** "path: reason" for the first FAILED_SLOTS failures, in arrival order; only ever grows. */
  failed: string[];
  /** Indexed by slot: a file keeps its slot while in flight, so lines do not jump around. */
  files: Array<FileLine | undefined>;
  /** "and N more in flight", or ''. */
  more: string;
}

type Connection = EngineEvents['file:progress']['connections'][number];

interface ActiveFile {
  path: string;
  size: number | undefined;
  transferred: number;
  speed: number;
  connections: readonly Connection[];
  /** A retry notice shown until the next progress after the retry delay ends. */
  note: { text: string; until: number } | undefined;
}

export class TtyView {
  readonly #now: () => number;
  readonly #active = new Map<number, ActiveFile>();
  readonly #slots: Array<number | undefined> = Array.from({ length: FILE_SLOTS }, () => undefined);
  readonly #failed: string[] = [];
  #totals: Omit<EngineEvents['run:progress'], 'active'> = {
    filesDone: 0, filesFailed: 0, filesTotal: 0, transferred: 0, totalBytes: undefined, speed: 0,
  };
  #done = 0;
  #skipped = 0;
  #failedCount = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  handlers(): EngineHandlers {
    return {
      'run:start': (e) => {
        this.#totals = { ...this.#totals, filesTotal: e.files, totalBytes: e.totalBytes };
      },
      'file:start': (e) => {
        const file = this.#file(e);
        file.size = e.size;
        file.transferred = e.resumedBytes;
      },
      'file:progress': (e) => {
        const file = this.#file(e);
        Object.assign(file, { transferred: e.transferred, speed: e.speed, connections: e.connections });
        if (e.total !== undefined) file.size = e.total;
        if (file.note !== undefined && this.#now() >= file.note.until) file.note = undefined;
      },
      'file:retry': (e) => this.#note(e, `retry ${e.attempt} in ${formatDuration(e.delayMs)}: ${e.reason}`, e.delayMs),
      'range:retry': (e) => this.#note(e, `#${e.connection} retry ${e.attempt}: ${e.reason}`, e.delayMs),
      'file:done': (e) => {
        this.#active.delete(e.index);
        // Files `newer` found current count with the skipped: nothing was written either way.
        if (e.outcome === 'skipped' || e.outcome === 'unchanged') this.#skipped += 1;
        else this.#done += 1;
      },
      'file:failed': (e) => {
        this.#active.delete(e.index);
        this.#failedCount += 1;
        if (this.#failed.length < FAILED_SLOTS) this.#failed.push(oneLine(`${e.path}: ${e.error.message}`));
      },
      'file:interrupted': (e) => {
        this.#active.delete(e.index);
      },
      'run:progress': (e) => {
        this.#totals = { ...e };
      },
    };
  }

  frame(): Frame {
    this.#assignSlots();
    const t = this.#totals;
    const finished = this.#done + this.#skipped;
    const total = Math.max(t.filesTotal, finished + this.#failedCount + this.#active.size);
    const remaining = t.totalBytes === undefined ? undefined : t.totalBytes - t.transferred;
    const header = [
      `Downloading ${finished}/${total} files`,
      formatProgress(t.transferred, t.totalBytes),
      formatSpeed(t.speed),
      `ETA ${formatEta(remaining, t.speed)}`,
    ].join(' · ');
    const final = `${finished}/${total} files done · ${formatBytes(t.transferred)}`;

    const hiddenFailed = this.#failedCount - this.#failed.length;
    const doneParts = [
      ...(finished > 0 ? [`${this.#done} done${this.#skipped > 0 ? `, ${this.#skipped} skipped` : ''}`] : []),
      ...(hiddenFailed > 0 ? [`and ${hiddenFailed} more failed`] : []),
    ];
    const slotted = this.#slots.filter((index) => index !== undefined).length;
    const more = this.#active.size > slotted ? `and ${this.#active.size - slotted} more in flight` : '';

    let budget = MAX_LINES - 1 - (doneParts.length > 0 ? 1 : 0) - this.#failed.length - slotted - (more ? 1 : 0);
    const files = this.#slots.map((index) => {
      const file = index === undefined ? undefined : this.#active.get(index);
      if (file === undefined) return undefined;
      const shown = file.connections.length > 1 ? Math.max(0, Math.min(CONNECTION_SLOTS, budget)) : 0;
      budget -= shown;
      return { title: fileTitle(file), connections: file.connections.slice(0, shown).map(connectionLine) };
    });
    return { header, final, done: doneParts.join(' · '), failed: [...this.#failed], files, more };
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
      file = { path: ref.path, size: undefined, transferred: 0, speed: 0, connections: [], note: undefined };
      this.#active.set(ref.index, file);
    }
    return file;
  }

  #note(ref: FileRef, text: string, delayMs: number): void {
    this.#file(ref).note = { text, until: this.#now() + delayMs };
  }
}

function fileTitle(file: ActiveFile): string {
  const percent = file.size !== undefined && file.size > 0 ? ` (${Math.floor((file.transferred / file.size) * 100)}%)` : '';
  const remaining = file.size === undefined ? undefined : file.size - file.transferred;
  const parts = [
    `${shortPath(file.path)}  ${formatProgress(file.transferred, file.size)}${percent}`,
    formatSpeed(file.speed),
    `ETA ${formatEta(remaining, file.speed)}`,
    ...(file.connections.length > 1 ? [`${file.connections.length} conns`] : []),
    ...(file.note !== undefined ? [file.note.text] : []),
  ];
  return oneLine(parts.join(' · '));
}

function connectionLine(c: Connection): string {
  const length = c.end - c.start;
  const percent = length > 0 ? Math.floor((Math.min(Math.max(c.position - c.start, 0), length) / length) * 100) : 100;
  return `#${c.connection} bytes ${formatRange(c.start, c.end)}  ${percent}%  ${formatSpeed(c.speed)}`;
}

function shortPath(path: string): string {
  return path.length <= PATH_WIDTH ? path : `…${path.slice(path.length - PATH_WIDTH + 1)}`;
}
