/**
 * The typed events the engine emits. Reporters (tty, plain, json) subscribe to these and nothing else.
 * Progress events are coalesced by the engine (a few per second per file), never one per chunk.
 */
import { EventEmitter } from 'node:events';
import type { PdlError } from '../errors.js';
import type { ServedBy } from '../sources/source.js';

/**
 * `unchanged`: `ifExists: newer` found the local copy current (the server said 304, or it matches the checksum);
 * `repaired`: the local copy no longer matched what pdl had written (edited, truncated) and was fetched again;
 * `reused`: the declared sha256 content was already on disk (elsewhere in the root, or in the cache) and was linked
 * or copied into place without a request. Counted in `RunSummary.done`.
 */
export type FileOutcome = 'downloaded' | 'resumed' | 'repaired' | 'reused' | 'unchanged' | 'skipped' | 'failed' | 'interrupted';

/** The outcomes of a file that ended well. */
export type DoneOutcome = 'downloaded' | 'resumed' | 'repaired' | 'reused' | 'unchanged' | 'skipped';

export interface FileRef {
  /** Position in the job file. */
  index: number;
  /** Output path relative to the job's dir. */
  path: string;
  /** Masked URL. */
  url: string;
}

export interface RangeRef extends FileRef {
  /** Connection id within the file (stable while the connection works). */
  connection: number;
  /** Byte offsets, end exclusive. */
  start: number;
  end: number;
}

export interface FailureInfo {
  code: string;
  kind: string;
  message: string;
}

export interface EngineEvents {
  'run:start': { files: number; totalBytes: number | undefined; startedAt: number };
  /** Something the user should know that is not about one file (e.g. an unreadable state file was ignored). */
  'run:note': { message: string };
  'file:queued': FileRef & { priority: number };
  'file:start': FileRef & { size: number | undefined; resumedBytes: number; ranges: boolean };
  'file:progress': FileRef & {
    /** Bytes fetched over the network in this run (as in every event and result). */
    transferred: number;
    /** Bytes of the file on disk so far, a resumed file's kept bytes included (as in FileResult). */
    completedBytes: number;
    total: number | undefined;
    /** Bytes per second over the last few seconds. */
    speed: number;
    connections: ReadonlyArray<{ connection: number; start: number; end: number; position: number; speed: number }>;
  };
  'file:retry': FileRef & { attempt: number; delayMs: number; reason: string };
  'file:verified': FileRef & { algorithm: string; hex: string };
  'file:done': FileRef & {
    outcome: DoneOutcome;
    size: number;
    /** Bytes fetched over the network in this run. */
    transferred: number;
    elapsedMs: number;
    sha256: string | undefined;
    reason?: string;
  };
  'file:failed': FileRef & {
    error: FailureInfo;
    transferred: number;
    elapsedMs: number;
    /** Human-readable `completedBytes` (of `size`), or the stage it failed in. */
    stoppedAt: string;
    /** Bytes kept on disk for a rerun. The engine always sets these two (optional for hand-made events). */
    completedBytes?: number;
    size?: number | undefined;
  };
  /**
   * `resumable` false: nothing was kept (no byte ranges or no validator to resume against); a rerun starts over.
   * The engine always sets it (optional for hand-made events, where absent means true).
   */
  'file:interrupted': FileRef & { transferred: number; completedBytes: number; size: number | undefined; resumable?: boolean };
  'range:start': RangeRef;
  'range:done': RangeRef;
  'range:retry': RangeRef & { attempt: number; delayMs: number; reason: string };
  'run:progress': {
    filesDone: number;
    filesFailed: number;
    filesTotal: number;
    /** Bytes fetched over the network so far in this run. */
    transferred: number;
    /** What this run will transfer in all (known once nothing is queued and every size in flight is known). */
    totalBytes: number | undefined;
    speed: number;
    active: number;
  };
  'run:done': RunSummary;
}

export interface FileResult {
  index: number;
  path: string;
  url: string;
  outcome: FileOutcome;
  size: number | undefined;
  transferred: number;
  /** Bytes of the file on disk when it ended (all of it when done; what a rerun resumes from otherwise). */
  completedBytes: number;
  elapsedMs: number;
  sha256: string | undefined;
  error: FailureInfo | undefined;
  /** The error itself, class and `cause` intact, for library callers (not enumerable: reports and JSON leave it out). */
  readonly failure?: PdlError;
  /** Interrupted files only: false when nothing was kept for a rerun (see 'file:interrupted'). */
  resumable?: boolean;
  /** Files with several places (mirrors): the bytes each served in this run, and which were dropped or bad. */
  served?: ServedBy[];
}

export interface RunSummary {
  files: FileResult[];
  done: number;
  skipped: number;
  /**
   * Files `ifExists: newer` found current (not in `done` or `skipped`). Optional only until every place that
   * builds a summary by hand sets it; runJob always does.
   */
  unchanged: number;
  failed: number;
  interrupted: number;
  /** Bytes fetched over the network in this run, all files. */
  transferred: number;
  elapsedMs: number;
  /** Bytes per second over the whole run. */
  speed: number;
  /** Set when the run was stopped by a signal, by the run's time limit (`max-runtime`) or by another abort. */
  stopped: 'SIGINT' | 'SIGTERM' | 'max-runtime' | 'abort' | undefined;
}

export type EngineEventName = keyof EngineEvents;

/** A typed wrapper around EventEmitter. */
export class EngineEmitter {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(50);
  }

  on<K extends EngineEventName>(name: K, listener: (event: EngineEvents[K]) => void): this {
    this.#emitter.on(name, listener);
    return this;
  }

  off<K extends EngineEventName>(name: K, listener: (event: EngineEvents[K]) => void): this {
    this.#emitter.off(name, listener);
    return this;
  }

  /** Subscribe to every event; handy for the JSON reporter and tests. */
  onAny(listener: <K extends EngineEventName>(name: K, event: EngineEvents[K]) => void): () => void {
    const names: EngineEventName[] = [
      'run:start',
      'run:note',
      'file:queued',
      'file:start',
      'file:progress',
      'file:retry',
      'file:verified',
      'file:done',
      'file:failed',
      'file:interrupted',
      'range:start',
      'range:done',
      'range:retry',
      'run:progress',
      'run:done',
    ];
    const bound = names.map((name) => {
      const fn = (event: unknown) => listener(name, event as EngineEvents[typeof name]);
      this.#emitter.on(name, fn);
      return [name, fn] as const;
    });
    return () => {
      for (const [name, fn] of bound) this.#emitter.off(name, fn);
    };
  }

  emit<K extends EngineEventName>(name: K, event: EngineEvents[K]): void {
    this.#emitter.emit(name, event);
  }

  listenerCount(name: EngineEventName): number {
    return this.#emitter.listenerCount(name);
  }
}
