/**
 * One file in flight, as a state machine: its phase (each carrying its own data), the slot protocol with the
 * scheduler, and the transitions between phases — all here, in one place. The work of each phase lives beside it:
 * connection.ts (one connection's attempts), part-progress.ts (the `.part`, done intervals, hash, checkpoints),
 * finalize.ts (what must match before the rename), hooks.ts (what is on disk and remembered).
 */
import { dirname } from 'node:path';
import { ChecksumMismatchError, InternalError, InterruptedError, PdlError, ProtocolError, RemoteChangedError, StallError, toLocalIOError } from '../errors.js';
import type { ResolvedFile } from '../job/resolved.js';
import { maskSecrets } from '../job/resolved.js';
import type { ByteAnswer, ByteRequest, ByteSource, SourceDigest } from '../sources/source.js';
import { NO_VALIDATORS, validatorsDiffer } from '../sources/source.js';
import { normalize } from '../storage/intervals.js';
import type { OutputDir } from '../storage/output-dir.js';
import type { ByteSink } from './body-writer.js';
import { Connection, fillRange, type ConnectionEnd, type ConnectionOwner } from './connection.js';
import type { DoneOutcome, EngineEmitter, FailureInfo, FileRef, FileResult } from './events.js';
import { algorithmsFor, CHECKSUM_RETRIES, verifyFile } from './finalize.js';
import type { FileHooks, StartDecision } from './hooks.js';
import { PartProgress, type RemoteFacts } from './part-progress.js';
import { chooseWork, segmentSizeFor } from './ranges.js';
import type { RetryInfo } from './retry-loop.js';
import { SpeedMeter } from './speed.js';

export interface FileTaskContext {
  events: EngineEmitter;
  /** The output root: nothing is written outside it. */
  output: OutputDir;
  /** Where this file's bytes come from. */
  source(file: ResolvedFile): ByteSource;
  hooks: FileHooks;
  /** Shared rate limiter, or undefined when unlimited. */
  rateLimit: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** Aborted when the whole run stops (Ctrl-C, --fail-fast, --max-runtime). */
  runSignal: AbortSignal;
  /** A connection of this task ended: its slot is free. */
  released(task: FileTask): void;
  /** The task can use more connections now. */
  wake(): void;
}

/** What the file knows about its remote copy once an answer (or a control file) told it. */
interface Remote extends RemoteFacts {
  digests: SourceDigest[];
}

/** A file's lifecycle. Only `#to` changes it. */
type Phase =
  | { name: 'queued' }
  /** The hooks decide what the file needs; the first connection's slot is held meanwhile. */
  | { name: 'preparing' }
  /** The file's first request: no answer yet. `ranges` is false once the source was found not to honour them. */
  | { name: 'opening'; ranges: boolean }
  /** Connections fill the file's ranges. */
  | { name: 'transferring'; remote: Remote }
  /** Every held byte is being dropped (the file changed, ranges failed, a checksum mismatched); no connection runs. */
  | { name: 'restarting' }
  /** Something failed: the connections wind down, then the file is finished as failed. */
  | { name: 'failing'; error: PdlError; remote: Remote | undefined }
  /** No connection runs: verifying and committing, or saving progress after a stop or failure. */
  | { name: 'finishing' }
  | { name: 'finished' };

const CHECKPOINT_MS = 1000;
/** Restarts allowed per file for each reason before it fails. */
const MAX_RESTARTS = { changed: 1, 'no-ranges': 1 } as const;

export class FileTask implements ConnectionOwner {
  readonly file: ResolvedFile;
  readonly host: string;
  readonly ref: FileRef;
  readonly result: Promise<FileResult>;
  readonly meter = new SpeedMeter();

  readonly #ctx: FileTaskContext;
  readonly #source: ByteSource;
  readonly #part: PartProgress;
  #resolve!: (result: FileResult) => void;
  #phase: Phase = { name: 'queued' };
  /** What the before-hook decided (repair, resume, conditional); undefined until it ran. */
  #start: Extract<StartDecision, { action: 'download' }> | undefined;
  #conns = new Map<number, Connection>();
  #nextId = 1;
  /** Bumped by a restart or a failure: connections of an older generation are stale and end quietly. */
  #generation = 0;
  #restarts = { changed: 0, 'no-ranges': 0, checksum: 0 };
  #lastCheckpoint = 0;
  #startedAt = 0;
  /** file:start is told once, however often the file restarts. */
  #announced = false;

  constructor(file: ResolvedFile, ctx: FileTaskContext) {
    this.file = file;
    this.#ctx = ctx;
    this.host = new URL(file.url).host;
    this.ref = { index: file.index, path: file.relPath, url: file.displayUrl };
    this.#source = ctx.source(file);
    this.#part = new PartProgress(file);
    this.result = new Promise((resolve) => (this.#resolve = resolve));
  }

  // ---- what the scheduler and reporters read ----

  get active(): number {
    return this.#conns.size;
  }

  get size(): number | undefined {
    return this.#remote?.size;
  }

  /** The file has failed and is winding down (its result comes once .part/.pdl are dealt with). */
  get failed(): boolean {
    return this.#phase.name === 'failing';
  }

  get completedBytes(): number {
    return this.#part.completedBytes;
  }

  /** Bytes received over the network in this run. */
  get transferred(): number {
    return this.meter.total;
  }

  /** Connections in flight with their ranges, for progress events. */
  connections(now = Date.now()): Array<{ connection: number; start: number; end: number; position: number; speed: number }> {
    return [...this.#conns.values()].map((c) => ({
      connection: c.id,
      start: c.start,
      end: Number.isFinite(c.cursor.end) ? c.cursor.end : -1,
      position: c.cursor.position,
      speed: (c.cursor.received * 1000) / Math.max(1, now - c.startedAt),
    }));
  }

  // ---- slot protocol ----

  /**
   * How much a new connection would gain, in bytes; Infinity when the task needs its first connection;
   * 0 when another connection is of no use now.
   */
  demand(): number {
    const phase = this.#phase;
    if (this.#ctx.runSignal.aborted) return 0;
    if (phase.name === 'opening') return this.#conns.size === 0 ? Infinity : 0;
    if (phase.name !== 'transferring') return 0;
    const remote = phase.remote;
    if (this.#conns.size === 0) return this.#part.isComplete(remote.size) ? 0 : Infinity;
    if (this.#conns.size >= this.file.connections) return 0;
    return this.#chooseWork(remote)?.gain ?? 0;
  }

  /** The scheduler started this file: it has reserved one slot for the first connection. */
  begin(): void {
    this.#startedAt = Date.now();
    this.#to({ name: 'preparing' });
    void this.#prepare().catch((error: unknown) => this.#fail(error));
  }

  /** The scheduler reserved a slot for this task: start a connection on the best work, or give it back. */
  connect(): void {
    const phase = this.#phase;
    if (phase.name === 'opening' && this.#conns.size === 0) return this.#launch({ position: 0, end: Infinity }, true);
    if (phase.name !== 'transferring') return this.#ctx.released(this);
    const work = this.#chooseWork(phase.remote);
    if (!work) {
      this.#ctx.released(this);
      if (this.#conns.size === 0 && !this.#part.isComplete(phase.remote.size)) {
        // Bytes missing and nothing can fetch them (a state pdl does not write): fail rather than spin.
        this.#fail(new ProtocolError(`cannot fetch the missing bytes of ${this.file.relPath}: the server does not allow byte ranges`, { url: this.file.displayUrl }));
      }
      this.#maybeFinish();
      return;
    }
    if (work.kind === 'take') {
      this.#launch({ position: work.start, end: work.end }, false);
    } else {
      this.#conns.get(work.id)!.cursor.end = work.at;
      this.#launch({ position: work.at, end: work.end }, false);
    }
  }

  /** The run was stopped: a file in flight without a connection (between ranges, verifying) finishes now. */
  runStopped(): void {
    if (this.#conns.size === 0) this.#maybeFinish();
  }

  /** Called by the run's ticker: drop connections that delivered nothing for `timeout`; save progress now and then. */
  watchdog(now: number): void {
    for (const conn of this.#conns.values()) {
      if (!conn.cursor.paused && now - conn.cursor.lastByteAt > this.file.timeout && !conn.controller.signal.aborted) {
        conn.controller.abort(new StallError(this.file.timeout, { url: this.file.displayUrl }));
      }
    }
    const remote = this.#remote;
    if (this.#phase.name === 'transferring' && remote && now - this.#lastCheckpoint >= CHECKPOINT_MS && !this.#part.checkpointing) {
      this.#lastCheckpoint = now;
      void this.#part.checkpoint(remote).catch((error: unknown) => this.#fail(error));
    }
  }

  // ---- what connections ask of their file (ConnectionOwner) ----

  get retries(): number {
    return this.file.retries;
  }

  get displayUrl(): string {
    return this.file.displayUrl;
  }

  get secrets(): readonly string[] {
    return this.file.secrets;
  }

  get runSignal(): AbortSignal {
    return this.#ctx.runSignal;
  }

  isCurrent(conn: Connection): boolean {
    return conn.generation === this.#generation;
  }

  rangesAllowed(): boolean {
    const phase = this.#phase;
    return phase.name === 'opening' ? phase.ranges : this.#remote?.ranges !== false;
  }

  requestFor(conn: Connection, first: boolean, signal: AbortSignal): ByteRequest {
    const remote = this.#remote;
    const opening = this.#phase.name === 'opening';
    const end = conn.cursor.end;
    const unlessUnchanged = first && opening && this.#restarts.checksum + this.#restarts.changed + this.#restarts['no-ranges'] === 0 ? this.#start?.unlessUnchanged : undefined;
    return {
      start: conn.cursor.position,
      end: first || !Number.isFinite(end) ? undefined : end,
      ranges: this.rangesAllowed(),
      held: remote ? { size: remote.size, validators: remote.validators } : undefined,
      first: first && opening,
      ...(unlessUnchanged ? { unlessUnchanged } : {}),
      signal,
    };
  }

  transferParts() {
    return { source: this.#source, sink: this.#sink, limiter: this.#ctx.rateLimit };
  }

  async learn(conn: Connection, answer: ByteAnswer, first: boolean): Promise<void> {
    const phase = this.#phase;
    if (phase.name === 'transferring') {
      if (validatorsDiffer(phase.remote.validators, answer.validators)) {
        throw new RemoteChangedError('the file changed on the server during the download', { url: this.file.displayUrl });
      }
      return;
    }
    if (phase.name !== 'opening' || !first) throw new InterruptedError('the file is no longer downloading');
    const remote: Remote = { size: answer.size, ranges: answer.ranged, validators: answer.validators, digests: answer.digests };
    // Preallocate what will be written in several ranges (an early EFBIG, a file length right for any order); a
    // file that arrives in one piece is written in order anyway, and the extra syscall would be pure cost.
    const willSplit = this.file.connections > 1 && remote.size !== undefined && remote.size > 2 * this.file.minSplitSize;
    if (willSplit) await this.#part.preallocate(remote.size!);
    this.#part.openHash(algorithmsFor(this.file, remote.digests, this.#ctx.hooks.digestsWanted(this.file)));
    this.#to({ name: 'transferring', remote });
    this.#announceStart(remote);
    this.#ctx.wake();
  }

  retried(conn: Connection, info: RetryInfo): void {
    this.#ctx.events.emit('range:retry', { ...this.#rangeRef(conn), ...info });
    this.#ctx.events.emit('file:retry', { ...this.ref, ...info });
  }

  // ---- transitions ----

  #to(phase: Phase): void {
    if (this.#phase.name === 'finished') throw new InternalError(`${this.file.relPath}: no transition out of finished (to ${phase.name})`);
    this.#phase = phase;
  }

  get #remote(): Remote | undefined {
    const phase = this.#phase;
    return phase.name === 'transferring' || phase.name === 'failing' ? phase.remote : undefined;
  }

  async #prepare(): Promise<void> {
    const decision = await this.#ctx.hooks.before(this.file, this.#ctx.runSignal);
    if (decision.action === 'done') {
      if (decision.verified) this.#ctx.events.emit('file:verified', { ...this.ref, ...decision.verified });
      this.#ctx.released(this);
      return this.#finish({ outcome: decision.outcome, size: decision.size, sha256: decision.sha256, reason: decision.reason });
    }
    this.#start = decision;
    try {
      await this.#ctx.output.ensureParentDir(this.file.path);
    } catch (error) {
      throw toLocalIOError(error, this.file.path, 'create the folder of');
    }
    const state = decision.resume;
    if (state && (await this.#part.resume(state))) {
      const remote: Remote = { size: state.size, ranges: state.ranges, validators: { etag: state.etag, lastModified: state.lastModified }, digests: [] };
      this.#part.openHash(algorithmsFor(this.file, [], this.#ctx.hooks.digestsWanted(this.file)));
      this.#to({ name: 'transferring', remote });
      this.#announceStart(remote);
      // The slot held for the first connection: the resumed file chooses its own work (or, when every byte is
      // there — killed after the last byte but before the rename — verifies what it has).
      this.connect();
      return;
    }
    if (state) await this.#part.reset();
    else await this.#part.create();
    this.#to({ name: 'opening', ranges: true });
    this.connect();
  }

  #launch(range: { position: number; end: number }, first: boolean): void {
    const conn = new Connection(this.#nextId++, range, this.#generation);
    this.#conns.set(conn.id, conn);
    conn.settled = this.#run(conn, first);
  }

  async #run(conn: Connection, first: boolean): Promise<void> {
    try {
      this.#ctx.events.emit('range:start', this.#rangeRef(conn));
      const end = await fillRange(this, conn, first);
      if (this.isCurrent(conn)) await this.#ended(conn, end);
    } catch (error) {
      if (this.isCurrent(conn)) this.#fail(error);
    } finally {
      this.#conns.delete(conn.id);
      this.#ctx.released(this);
      this.#maybeFinish();
    }
  }

  /** A connection of the current generation ended without an error. */
  async #ended(conn: Connection, end: ConnectionEnd): Promise<void> {
    const phase = this.#phase;
    switch (end.kind) {
      case 'stopped':
        return;
      case 'restart':
        return this.#restart(end.why, conn);
      case 'empty':
        this.#part.openHash(algorithmsFor(this.file, [], this.#ctx.hooks.digestsWanted(this.file)));
        this.#to({ name: 'transferring', remote: { size: 0, ranges: false, validators: NO_VALIDATORS, digests: [] } });
        this.#announceStart(this.#remote!);
        return;
      case 'not-modified': {
        const known = this.#start!.unlessUnchanged!;
        await this.#part.discard();
        this.#to({ name: 'finishing' });
        return this.#finish({ outcome: 'unchanged', size: known.size, sha256: known.sha256, reason: 'not modified on the server' });
      }
      case 'complete':
        if (phase.name === 'transferring' && phase.remote.size === undefined) {
          // One stream of unknown length ended cleanly: that is the size.
          this.#to({ name: 'transferring', remote: { ...phase.remote, size: conn.cursor.position } });
        }
        this.#ctx.events.emit('range:done', this.#rangeRef(conn));
        return;
    }
  }

  /** Drop every byte held and go back to a first request. */
  async #restart(why: 'changed' | 'no-ranges' | 'checksum', conn: Connection | undefined, message?: string): Promise<void> {
    if (why !== 'checksum' && ++this.#restarts[why] > MAX_RESTARTS[why]) {
      throw why === 'changed'
        ? new RemoteChangedError('the file changed on the server again after a restart; giving up', { url: this.file.displayUrl })
        : new ProtocolError('the server does not honour byte ranges consistently', { url: this.file.displayUrl });
    }
    this.#generation++;
    this.#to({ name: 'restarting' });
    const others = [...this.#conns.values()].filter((c) => c !== conn);
    for (const other of others) other.controller.abort(new InterruptedError('restart'));
    await Promise.all(others.map((c) => c.settled));
    await this.#part.reset();
    // A source found not to do ranges is asked for the whole file from now on.
    this.#to({ name: 'opening', ranges: why !== 'no-ranges' });
    const reason =
      message ?? (why === 'changed' ? 'the file changed on the server; starting over' : 'the server does not honour byte ranges; downloading as one stream');
    this.#ctx.events.emit('file:retry', { ...this.ref, attempt: 1, delayMs: 0, reason });
  }

  #chooseWork(remote: Remote) {
    if (remote.size === undefined || !remote.ranges) return null;
    const conns = [...this.#conns.values()];
    const active = conns.map((c) => ({ id: c.id, position: c.cursor.position, end: c.cursor.end }));
    // Bytes a connection received but has not written yet are neither done nor ahead of it: count them as held,
    // or a new connection would fetch them a second time.
    const received = conns.filter((c) => c.cursor.position > c.start).map((c) => ({ start: c.start, end: c.cursor.position }));
    const done = received.length > 0 ? normalize([...this.#part.done, ...received]) : [...this.#part.done];
    // One connection takes whatever is missing in one request; several share the file in segments, in order.
    const segmentSize = this.file.connections > 1 ? segmentSizeFor(remote.size, this.file.connections, this.file.minSplitSize) : undefined;
    return chooseWork({ size: remote.size, done, active, minSplitSize: this.file.minSplitSize, ...(segmentSize ? { segmentSize } : {}) });
  }

  /** Where every connection's bytes go: the current .part (replaced on a restart, after all writers settled). */
  readonly #sink: ByteSink = {
    writev: (chunks, length, position) => this.#part.writev(chunks, length, position),
    written: (start, end) => {
      this.#part.written(start, end);
      this.meter.add(end - start);
    },
  };

  #fail(error: unknown): void {
    const phase = this.#phase;
    if (phase.name === 'failing' || phase.name === 'finished') return;
    const failure = error instanceof PdlError ? error : asPdlError(error, this.file.path);
    this.#generation++;
    this.#to({ name: 'failing', error: failure, remote: this.#remote });
    for (const conn of this.#conns.values()) conn.controller.abort(failure);
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    const phase = this.#phase;
    if (this.#conns.size > 0) return;
    if (phase.name === 'failing') {
      this.#to({ name: 'finishing' });
      void this.#finishFailed(phase.error, phase.remote);
    } else if (phase.name !== 'transferring' && phase.name !== 'opening') {
      return;
    } else if (this.#ctx.runSignal.aborted) {
      this.#to({ name: 'finishing' });
      void this.#finishInterrupted(phase.name === 'transferring' ? phase.remote : undefined);
    } else if (phase.name === 'transferring' && this.#part.isComplete(phase.remote.size)) {
      const remote = phase.remote;
      this.#to({ name: 'finishing' });
      void this.#finishComplete(remote).catch((error: unknown) => {
        this.#to({ name: 'transferring', remote });
        this.#fail(error);
      });
    } else {
      this.#ctx.wake();
    }
  }

  async #finishComplete(remote: Remote): Promise<void> {
    await this.#part.settled();
    const size = remote.size!;
    const digests = await this.#part.digests(size);
    try {
      verifyFile(this.file, digests, remote.digests);
    } catch (error) {
      if (!(error instanceof ChecksumMismatchError)) throw error;
      if (this.#restarts.checksum >= CHECKSUM_RETRIES) {
        await this.#part.discard();
        throw error;
      }
      this.#restarts.checksum++;
      await this.#restart('checksum', undefined, `${error.message}; downloading again from scratch`);
      // Not just wake(): the run may have been stopped while we verified, and then nothing would finish us.
      this.#maybeFinish();
      return;
    }
    if (this.file.checksum) {
      this.#ctx.events.emit('file:verified', { ...this.ref, algorithm: this.file.checksum.algorithm, hex: this.file.checksum.hex });
    }
    await this.#part.commit();
    this.#ctx.output.renamedInto(dirname(this.file.path));
    const finalUrl = 'finalUrl' in this.#source && typeof this.#source.finalUrl === 'string' ? this.#source.finalUrl : undefined;
    await this.#ctx.hooks
      .after(this.file, { finalUrl, validators: remote.validators, size, sha256: digests.sha256 })
      .catch((error: unknown) => this.#ctx.events.emit('run:note', { message: `${this.file.relPath}: ${error instanceof Error ? error.message : String(error)}` }));
    const outcome: DoneOutcome = this.#start?.repair ? 'repaired' : this.#part.resumedBytes > 0 ? 'resumed' : 'downloaded';
    this.#finish({ outcome, size, sha256: digests.sha256, reason: undefined });
  }

  async #finishFailed(error: PdlError, remote: Remote | undefined): Promise<void> {
    // Keep what arrived for a rerun, unless the bytes themselves are wrong.
    await this.#part.keepOrDiscard(remote, error.kind !== 'integrity');
    const failure: FailureInfo = { code: error.code, kind: error.kind, message: maskSecrets(error.message, this.file.secrets) };
    const stoppedAt = remote?.size === undefined ? `${this.completedBytes} bytes` : `${this.completedBytes} of ${remote.size} bytes`;
    this.#ctx.events.emit('file:failed', { ...this.ref, error: failure, transferred: this.transferred, elapsedMs: Date.now() - this.#startedAt, stoppedAt });
    this.#settle({ outcome: 'failed', size: remote?.size, sha256: undefined, error: failure });
  }

  async #finishInterrupted(remote: Remote | undefined): Promise<void> {
    try {
      await this.#part.keepForRerun(remote);
    } catch (error) {
      return this.#finishFailed(toLocalIOError(error, this.#part.controlPath, 'save progress to'), remote);
    }
    this.#ctx.events.emit('file:interrupted', { ...this.ref, transferred: this.transferred, completedBytes: this.completedBytes, size: remote?.size });
    this.#settle({ outcome: 'interrupted', size: remote?.size, sha256: undefined, error: undefined });
  }

  #announceStart(remote: Remote): void {
    if (this.#announced) return;
    this.#announced = true;
    this.#ctx.events.emit('file:start', { ...this.ref, size: remote.size, resumedBytes: this.#part.resumedBytes, ranges: remote.ranges });
  }

  #finish(done: { outcome: DoneOutcome; size: number; sha256: string | undefined; reason: string | undefined }): void {
    const elapsedMs = Date.now() - this.#startedAt;
    this.#ctx.events.emit('file:done', { ...this.ref, ...done, transferred: this.transferred, elapsedMs, ...(done.reason ? { reason: done.reason } : {}) });
    this.#settle({ outcome: done.outcome, size: done.size, sha256: done.sha256, error: undefined });
  }

  #settle(r: Pick<FileResult, 'outcome' | 'size' | 'sha256' | 'error'>): void {
    if (this.#phase.name !== 'finished') this.#phase = { name: 'finished' };
    const completedBytes = r.outcome === 'failed' || r.outcome === 'interrupted' ? this.completedBytes : (r.size ?? 0);
    this.#resolve({ ...this.ref, ...r, transferred: this.transferred, completedBytes, elapsedMs: Date.now() - this.#startedAt });
  }

  #rangeRef(conn: Connection) {
    return { ...this.ref, connection: conn.id, start: conn.start, end: Number.isFinite(conn.cursor.end) ? conn.cursor.end : -1 };
  }
}

/** Anything that is not a PdlError is a bug of pdl's, not the disk's: say so (exit 1, stack under --verbose). */
function asPdlError(error: unknown, path: string): PdlError {
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(`internal error while downloading to ${path}: ${message}`, { cause: error, path });
}
