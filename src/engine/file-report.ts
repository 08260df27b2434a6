/**
 * How a file tells the run what became of it: the file:* events and the one FileResult it settles with. The
 * byte counts mean one thing everywhere: `transferred` is what came over the network in this run, `completedBytes`
 * what is on disk.
 */
import { maskSecrets, type ResolvedFile } from '../job/resolved.js';
import type { PdlError } from '../errors.js';
import type { DoneOutcome, EngineEmitter, FailureInfo, FileRef, FileResult, RangeRef } from './events.js';
import type { SpeedMeter } from './speed.js';
import type { ServedBy } from '../sources/source.js';

export class FileReport {
  readonly ref: FileRef;
  readonly result: Promise<FileResult>;
  readonly #file: ResolvedFile;
  readonly #events: EngineEmitter;
  readonly #meter: SpeedMeter;
  #resolve!: (result: FileResult) => void;
  #startedAt = 0;
  #settled = false;
  /** file:start is told once, however often the file restarts. */
  #announced = false;

  readonly #served: () => ServedBy[] | undefined;

  constructor(file: ResolvedFile, events: EngineEmitter, meter: SpeedMeter, served: () => ServedBy[] | undefined = () => undefined) {
    this.#served = served;
    this.#file = file;
    this.#events = events;
    this.#meter = meter;
    this.ref = { index: file.index, path: file.relPath, url: file.displayUrl };
    this.result = new Promise((resolve) => (this.#resolve = resolve));
  }

  get settled(): boolean {
    return this.#settled;
  }

  started(): void {
    this.#startedAt = Date.now();
  }

  /** The file's size (or that it is unknown) is known: told once. */
  announce(start: { size: number | undefined; resumedBytes: number; ranges: boolean }): void {
    if (this.#announced) return;
    this.#announced = true;
    this.#events.emit('file:start', { ...this.ref, ...start });
  }

  retried(range: RangeRef, info: { attempt: number; delayMs: number; reason: string }): void {
    this.#events.emit('range:retry', { ...range, ...info });
    this.#events.emit('file:retry', { ...this.ref, ...info });
  }

  verified(digest: { algorithm: string; hex: string }): void {
    this.#events.emit('file:verified', { ...this.ref, ...digest });
  }

  done(done: { outcome: DoneOutcome; size: number; sha256: string | undefined; reason: string | undefined }): void {
    this.#events.emit('file:done', { ...this.ref, ...done, transferred: this.#meter.total, elapsedMs: this.#elapsed(), ...(done.reason ? { reason: done.reason } : {}) });
    this.#settle({ outcome: done.outcome, size: done.size, sha256: done.sha256, error: undefined }, done.size);
  }

  failed(error: PdlError, size: number | undefined, completedBytes: number): void {
    const failure: FailureInfo = { code: error.code, kind: error.kind, message: maskSecrets(error.message, this.#file.secrets) };
    const stoppedAt = size === undefined ? `${completedBytes} bytes` : `${completedBytes} of ${size} bytes`;
    this.#events.emit('file:failed', { ...this.ref, error: failure, transferred: this.#meter.total, elapsedMs: this.#elapsed(), stoppedAt, completedBytes, size });
    this.#settle({ outcome: 'failed', size, sha256: undefined, error: failure }, completedBytes, error);
  }

  interrupted(size: number | undefined, completedBytes: number, resumable: boolean): void {
    this.#events.emit('file:interrupted', { ...this.ref, transferred: this.#meter.total, completedBytes, size, resumable });
    this.#settle({ outcome: 'interrupted', size, sha256: undefined, error: undefined, resumable }, completedBytes);
  }

  #elapsed(): number {
    return Date.now() - this.#startedAt;
  }

  #settle(r: Pick<FileResult, 'outcome' | 'size' | 'sha256' | 'error' | 'resumable'>, completedBytes: number, error?: PdlError): void {
    this.#settled = true;
    const served = this.#served();
    const result: FileResult = { ...this.ref, ...r, transferred: this.#meter.total, completedBytes, elapsedMs: this.#elapsed(), ...(served ? { served } : {}) };
    if (error) Object.defineProperty(result, 'failure', { value: error, enumerable: false });
    this.#resolve(result);
  }
}
