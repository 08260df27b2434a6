/** One file in flight as a state machine (phases in file-phase.ts, transitions all here) and its slot protocol with the
 *  scheduler. The work of each phase lives beside it: file-start, connection(-pool), part-progress, file-finish. */
import { InternalError, InterruptedError, PdlError, ProtocolError, RemoteChangedError, StallError } from '../errors.js';
import { internalError } from '../error-wrap.js';
import type { ResolvedFile } from '../job/resolved.js';
import { PathClaim } from '../storage/file-claim.js';
import { NO_VALIDATORS, validatorsDiffer, type ByteAnswer, type ByteRequest, type ByteSource } from '../sources/source.js';
import type { ByteSink } from './body-writer.js';
import type { FileTaskContext } from './file-context.js';
import { fillRange, rangeRequest, type Connection, type ConnectionEnd, type ConnectionOwner } from './connection.js';
import { ConnectionPool } from './connection-pool.js';
import type { DoneOutcome, FileRef, FileResult } from './events.js';
import { FileReport } from './file-report.js';
import { algorithmsFor } from './finalize.js';
import { finishComplete, finishFailed, finishInterrupted, type FinishContext } from './file-finish.js';
import { MAX_RESTARTS, restartLimitError, restartReason, type Phase, type Remote } from './file-phase.js';
import type { StartDecision } from './hooks.js';
import { startFile } from './file-start.js';
import { PartProgress } from './part-progress.js';
import { judgeFailedAttempt, type ConnectionRetries } from './retry-budget.js';
import type { RetryDecision } from './retry-decision.js';
import type { RetryInfo } from './retry-loop.js';
import { SpeedMeter } from './speed.js';

export class FileTask implements ConnectionOwner {
  readonly file: ResolvedFile;
  readonly host: string;
  readonly meter = new SpeedMeter();
  readonly ref: FileRef;
  readonly result: Promise<FileResult>;
  readonly runSignal: AbortSignal;

  readonly #ctx: FileTaskContext;
  readonly #source: ByteSource;
  readonly #part: PartProgress;
  readonly #report: FileReport;
  readonly #claim: PathClaim;
  /** Where every connection's bytes go: the current .part (replaced on a restart, after all writers settled). */
  readonly #sink: ByteSink;
  #phase: Phase = { name: 'queued' };
  /** What the before-hook decided (repair, resume, conditional); undefined until it ran. */
  #start: Extract<StartDecision, { action: 'download' }> | undefined;
  readonly #conns: ConnectionPool;
  #restarts = { changed: 0, 'no-ranges': 0, checksum: 0, encoded: 0, moved: 0 };
  /** Failed attempts of all connections, against the file's overall budget (retry-budget.ts). */
  readonly #failures = { failed: 0 };

  constructor(file: ResolvedFile, ctx: FileTaskContext) {
    this.file = file;
    this.#ctx = ctx;
    this.runSignal = ctx.runSignal;
    this.host = new URL(file.url).host;
    this.#source = ctx.source(file);
    this.#conns = new ConnectionPool(ctx.splitRules);
    this.#part = new PartProgress(file);
    this.#sink = this.#part.sink((bytes) => this.meter.add(bytes));
    this.#report = new FileReport(file, ctx.events, this.meter, () => this.#source.served?.());
    this.ref = this.#report.ref;
    // This process's claim on the path (storage/file-claim.ts), released once .part and control file are dealt with.
    this.#claim = new PathClaim(file.path, () => ctx.output.ensureParentDir(file.path));
    this.result = this.#report.result.then(async (result) => (await this.#claim.release(), result));
  }

  get active(): number {
    return this.#conns.size;
  }
  get size(): number | undefined { return this.#remote?.size; }

  /** The file has failed and is winding down (its result comes once .part/.pdl are dealt with). */
  get failed(): boolean { return this.#phase.name === 'failing'; }
  get completedBytes(): number {
    return this.#part.completedBytes;
  }
  /** Bytes received over the network in this run. */
  get transferred(): number {
    return this.meter.total;
  }

  /** Connections in flight with their ranges, for progress events. */
  connections(now = Date.now()) {
    return this.#conns.progress(now);
  }

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
    return this.#conns.workFor(this.file, remote, this.#part.done)?.gain ?? 0;
  }

  /** Where a new connection of this file may go, best first (a source with mirrors has several hosts). */
  hosts = (): readonly string[] => this.#source.hosts?.() ?? [this.host];

  /** The scheduler started this file: it has reserved one slot on `host` for the first connection. */
  begin(host: string): void {
    this.#report.started();
    this.#to({ name: 'preparing' });
    void this.#prepare(host).catch((error: unknown) => {
      // Failed before any connection took the slot held for it.
      this.#ctx.released(this, { host });
      this.#fail(error);
    });
  }

  /** The scheduler reserved a slot on `host` for this task: start a connection on the best work, or give it back. */
  connect(host: string): void {
    const phase = this.#phase;
    if (phase.name === 'opening' && this.#conns.size === 0) return this.#launch(host, { position: 0, end: Infinity }, true);
    if (phase.name !== 'transferring') return this.#ctx.released(this, { host });
    const work = this.#conns.workFor(this.file, phase.remote, this.#part.done);
    if (!work) {
      this.#ctx.released(this, { host });
      if (this.#conns.size === 0 && !this.#part.isComplete(phase.remote.size)) {
        // Bytes missing and nothing can fetch them (a state pdl does not write): fail rather than spin.
        this.#fail(new ProtocolError(`cannot fetch the missing bytes of ${this.file.relPath}: the server does not allow byte ranges`, { url: this.file.displayUrl }));
      }
      this.#maybeFinish();
      return;
    }
    this.#launch(host, this.#conns.claim(work), false);
  }

  /** The run was stopped: a file in flight without a connection (between ranges, verifying) finishes now. */
  runStopped(): void {
    if (this.#conns.size === 0) this.#maybeFinish();
  }
  /** Called by the run's ticker: drop connections that delivered nothing for `timeout`; save progress now and then. */
  watchdog(now: number): void {
    this.#conns.abortStalled(now, this.file.timeout, () => new StallError(this.file.timeout, { url: this.file.displayUrl }));
    this.#conns.tick(now, this.file, this.#remote, this.#part.done);
    if (this.#phase.name === 'transferring') this.#part.checkpointNow(now, this.#phase.remote)?.catch((error: unknown) => this.#fail(error));
  }

  isCurrent(conn: Connection): boolean {
    return this.#conns.isCurrent(conn);
  }
  rangesAllowed(): boolean {
    const phase = this.#phase;
    return phase.name === 'opening' ? phase.ranges : this.#remote?.ranges !== false;
  }

  requestFor(conn: Connection, first: boolean, signal: AbortSignal): ByteRequest {
    const opening = this.#phase.name === 'opening';
    // Only the very first request of the file is conditional: after a restart the file is wanted whatever it is.
    const restarted = this.#restarts.checksum + this.#restarts.changed + this.#restarts['no-ranges'] + this.#restarts.moved > 0;
    const unlessUnchanged = first && opening && !restarted ? this.#start?.unlessUnchanged : undefined;
    return rangeRequest(conn, { first: first && opening, ranges: this.rangesAllowed(), remote: this.#remote, unlessUnchanged, signal });
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
    const remote: Remote = { size: answer.size, ranges: answer.ranged, validators: answer.validators, digests: answer.digests, encoded: answer.encoded };
    // Preallocate what will be written in several ranges (an early EFBIG, a file length right for any order); a
    // file that arrives in one piece is written in order anyway, and the extra syscall would be pure cost.
    const willSplit = this.file.connections > 1 && remote.size !== undefined && remote.size > 2 * this.file.minSplitSize;
    if (willSplit) await this.#part.preallocate(remote.size!);
    this.#known(remote);
    this.#ctx.wake();
  }

  async rewind(conn: Connection): Promise<boolean> {
    const phase = this.#phase;
    if (phase.name !== 'transferring' || !phase.remote.encoded) return false;
    await this.#restart('encoded', conn);
    this.#conns.adoptFromStart(conn);
    return true;
  }

  judge(conn: Connection, count: ConnectionRetries, reason: unknown, progress: number): RetryDecision {
    const remote = this.#remote;
    // Bytes of an encoded stream are fetched again from 0: no progress at all.
    const attempt = { error: reason, progress: remote?.encoded ? 0 : progress, size: remote?.size, retries: this.file.retries, received: this.meter.total };
    return judgeFailedAttempt({ ...attempt, url: this.file.displayUrl, secrets: this.file.secrets }, count, this.#failures);
  }

  retried(conn: Connection, info: RetryInfo): void {
    this.#report.retried(this.#conns.rangeRef(this.ref, conn), info);
  }

  answered = (conn: Connection): void => this.#ctx.hostAnswered(conn.host);
  /** Refused or dropped before an answer, while the host serves other connections of pdl: it is at its cap. */
  shed = (conn: Connection, reason: unknown): boolean => this.#ctx.hostRefused(conn.host, reason, conn.setupMs !== undefined);

  #to(phase: Phase): void {
    if (this.#phase.name === 'finished' && phase.name !== 'finished') throw new InternalError(`${this.file.relPath}: no transition out of finished (to ${phase.name})`);
    this.#phase = phase;
  }

  get #remote(): Remote | undefined {
    const phase = this.#phase;
    return phase.name === 'transferring' || phase.name === 'failing' ? phase.remote : undefined;
  }

  async #prepare(host: string): Promise<void> {
    const start = await startFile(this.file, { hooks: this.#ctx.hooks, signal: this.#ctx.runSignal, claim: this.#claim, part: this.#part });
    if (start.action !== 'download') {
      this.#ctx.released(this, { host });
      if (start.action === 'stopped') {
        this.#to({ name: 'opening', ranges: true });
        return this.#maybeFinish();
      }
      if (start.verified) this.#report.verified(start.verified);
      return this.#finish({ outcome: start.outcome, size: start.size, sha256: start.sha256, reason: start.reason });
    }
    this.#start = start.decision;
    if (start.resumed) this.#known(start.resumed);
    else this.#to({ name: 'opening', ranges: true });
    // The slot held for the first connection: a resumed file chooses its own work (or, when every byte is there —
    // killed after the last byte but before the rename — verifies what it has).
    this.connect(host);
  }

  #launch(host: string, range: { position: number; end: number }, first: boolean): void {
    const conn = this.#conns.open(host, range);
    conn.settled = this.#run(conn, first);
  }

  async #run(conn: Connection, first: boolean): Promise<void> {
    try {
      this.#ctx.events.emit('range:start', this.#conns.rangeRef(this.ref, conn));
      const end = await fillRange(this, conn, first);
      if (this.isCurrent(conn)) await this.#ended(conn, end);
    } catch (error) {
      if (this.isCurrent(conn)) this.#fail(error);
    } finally {
      this.#conns.close(conn);
      this.#ctx.released(this, conn);
      this.#maybeFinish();
    }
  }

  /** A connection of the current generation ended without an error. */
  async #ended(conn: Connection, end: ConnectionEnd): Promise<void> {
    const phase = this.#phase;
    switch (end.kind) {
      case 'stopped':
      case 'shed':
        return;
      case 'restart':
        return this.#restart(end.why, conn, end.reason);
      case 'empty':
        return this.#known({ size: 0, ranges: false, validators: NO_VALIDATORS, digests: [], encoded: false });
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
        this.#ctx.events.emit('range:done', this.#conns.rangeRef(this.ref, conn));
        return;
    }
  }

  /** Drop every byte held and go back to a first request. */
  async #restart(why: keyof typeof MAX_RESTARTS, conn: Connection | undefined, message?: string): Promise<void> {
    if (++this.#restarts[why] > MAX_RESTARTS[why]) throw restartLimitError(why, this.file.displayUrl);
    this.#to({ name: 'restarting' });
    const others = this.#conns.invalidate(new InterruptedError('restart'), conn);
    await Promise.all(others.map((c) => c.settled));
    await this.#part.reset();
    // A source found not to do ranges (or to encode what it sends) is asked for the whole file from now on.
    this.#to({ name: 'opening', ranges: why !== 'no-ranges' && why !== 'encoded' });
    // A broken encoded stream was reported as a retry already.
    if (why === 'encoded') return;
    this.#ctx.events.emit('file:retry', { ...this.ref, attempt: 1, delayMs: 0, reason: message ?? restartReason(why) });
  }

  #fail(error: unknown): void {
    const phase = this.#phase;
    if (phase.name === 'failing' || phase.name === 'finished') return;
    const failure = error instanceof PdlError ? error : internalError(error, `downloading to ${this.file.path}`, this.file.path);
    this.#to({ name: 'failing', error: failure, remote: this.#remote });
    this.#conns.invalidate(failure);
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    const phase = this.#phase;
    if (this.#conns.size > 0) return;
    if (phase.name === 'failing') {
      this.#to({ name: 'finishing' });
      void finishFailed(this.#finishing(), phase.error, phase.remote).then(() => this.#to({ name: 'finished' }));
    } else if (phase.name !== 'transferring' && phase.name !== 'opening') {
      return;
    } else if (this.#ctx.runSignal.aborted) {
      this.#to({ name: 'finishing' });
      void finishInterrupted(this.#finishing(), phase.name === 'transferring' ? phase.remote : undefined).then(() => this.#to({ name: 'finished' }));
    } else if (phase.name === 'transferring' && this.#part.isComplete(phase.remote.size)) {
      const remote = phase.remote;
      this.#to({ name: 'finishing' });
      void this.#complete(remote).catch((error: unknown) => {
        this.#to({ name: 'transferring', remote });
        this.#fail(error);
      });
    } else {
      this.#ctx.wake();
    }
  }

  async #complete(remote: Remote): Promise<void> {
    const outcome: DoneOutcome = this.#start?.repair ? 'repaired' : this.#part.resumedBytes > 0 ? 'resumed' : 'downloaded';
    const mismatch = await finishComplete(this.#finishing(), remote, outcome, this.#restarts.checksum < MAX_RESTARTS.checksum);
    if (!mismatch) return this.#to({ name: 'finished' });
    await this.#restart(mismatch.why, undefined, `${mismatch.error.message}; ${mismatch.next ?? 'downloading again from scratch'}`);
    // Not just wake(): the run may have been stopped while we verified, and then nothing would finish us.
    this.#maybeFinish();
  }

  #finishing(): FinishContext {
    const { events, output, hooks } = this.#ctx;
    return { file: this.file, part: this.#part, report: this.#report, events, output, hooks, source: this.#source };
  }

  /** The file is known (from an answer or a control file): hash as it arrives, fill it in ranges. */
  #known(remote: Remote): void {
    this.#part.openHash(algorithmsFor(this.file, remote.digests, this.#ctx.hooks.digestsWanted(this.file)));
    this.#to({ name: 'transferring', remote });
    this.#report.announce({ size: remote.size, resumedBytes: this.#part.resumedBytes, ranges: remote.ranges });
  }

  #finish(done: { outcome: DoneOutcome; size: number; sha256: string | undefined; reason: string | undefined }): void {
    this.#phase = { name: 'finished' };
    this.#report.done(done);
  }
}
