/**
 * One file in flight: its byte ranges, the connections filling them, its .part file, control file and hash.
 * The scheduler owns the connection slots; a task asks for them through `demand()` and hands each back when a
 * connection ends. A file is reported complete only after every byte arrived and every digest matched.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Dispatcher } from 'undici';
import {
  ChecksumMismatchError,
  HttpStatusError,
  InternalError,
  InterruptedError,
  PdlError,
  ProtocolError,
  RemoteChangedError,
  StallError,
  toLocalIOError,
} from '../errors.js';
import { ContentEncodingError } from '../http/content-coding.js';
import { parseDigestHeaders } from '../http/headers.js';
import type { ResolvedFile } from '../job/resolved.js';
import { maskSecrets } from '../job/resolved.js';
import { PartFile } from '../storage/part-file.js';
import type { MirrorState } from '../storage/mirror-state.js';
import type { OutputDir } from '../storage/output-dir.js';
import { controlPathOf, removeResumeState, writeResumeState } from '../storage/resume-state.js';
import { hashService, verifyDigests } from '../verify/checksum.js';
import type { ByteSink, RangeCursor } from './body-writer.js';
import { checkRemote } from './conditional.js';
import type { DoneOutcome, EngineEmitter, FailureInfo, FileRef, FileResult } from './events.js';
import { fetchRange, readValidators, validatorsDiffer, type ResponseInfo, type Validators } from './fetch-range.js';
import { addInterval, contiguousPrefix, isComplete, normalize, totalLength, type Interval } from './intervals.js';
import { mirrorEntryOf } from './newer.js';
import { prepareFile } from './prepare.js';
import { reuseInto, storeInCache, type ReuseCandidate, type ReuseSources } from './reuse.js';
import { chooseWork, segmentSizeFor } from './ranges.js';
import { judgeFailedAttempt } from './retry-budget.js';
import { SpeedMeter } from './speed.js';

export interface FileTaskContext {
  dispatcher: Dispatcher;
  events: EngineEmitter;
  /** The output root: nothing is written outside it. */
  output: OutputDir;
  /**
   * What pdl learned about completed files in this root (`.pdl-state.json`): read by `newer`, written on success.
   * Undefined when the root does not use it.
   */
  mirror: MirrorState | undefined;
  /** Where a file's declared sha256 content may already be on disk; `cache` also receives completed files. */
  reuse?: ReuseSources;
  /** Shared rate limiter, or undefined when unlimited. */
  rateLimit: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** Aborted when the whole run stops (Ctrl-C, --fail-fast, --max-runtime). */
  runSignal: AbortSignal;
  /** A connection of this task ended: its slot is free. */
  released(task: FileTask): void;
  /** The task can use more connections now. */
  wake(): void;
  /** By file index: files that fail as soon as they start, e.g. their checksum list has no line for them. */
  failAtStart?: ReadonlyMap<number, PdlError> | undefined;
}

interface Connection {
  id: number;
  cursor: RangeCursor;
  controller: AbortController;
  generation: number;
  /** Start of the current request (for events). */
  start: number;
  /** When this connection started, for its average speed in progress events. */
  startedAt: number;
  settled: Promise<void>;
}

const CHECKPOINT_MS = 1000;
/** Statuses from a cached redirect target that mean "ask the original URL again" (an expired signed URL). */
const EXPIRED_TARGET = new Set([401, 403, 404, 410]);

export class FileTask {
  readonly file: ResolvedFile;
  readonly host: string;
  readonly ref: FileRef;
  readonly result: Promise<FileResult>;
  readonly meter = new SpeedMeter();

  #ctx: FileTaskContext;
  #resolve!: (result: FileResult) => void;
  #phase: 'queued' | 'active' | 'finishing' | 'finished' = 'queued';
  #prepared = false;
  #resuming = false;
  #known = false;
  #size: number | undefined;
  #ranges: boolean | undefined;
  #validators: Validators = { etag: undefined, lastModified: undefined };
  #digests: ReturnType<typeof parseDigestHeaders> = [];
  #url: string;
  #userHeaders: Record<string, string>;
  #done: Interval[] = [];
  #conns = new Map<number, Connection>();
  #nextId = 1;
  #generation = 0;
  #part: PartFile | undefined;
  #hash: ReturnType<typeof hashService.open> | undefined;
  #hashedPrefix = 0;
  #changedRestarts = 0;
  #rangeFallbacks = 0;
  #checksumRetries = 0;
  #restarting = false;
  #failure: PdlError | undefined;
  #checkpointing: Promise<void> | undefined;
  #lastCheckpoint = 0;
  #startedAt = 0;
  #resumedBytes = 0;
  #firstIsNeeded = true;
  #announced = false;
  #reResolved = 0;
  /** The local copy no longer matched what pdl wrote: this download repairs it. */
  #repair = false;
  /** The body is being content-decoded: a broken stream starts again from byte 0, never resumes. */
  #encoded = false;
  /** Failed attempts of all connections, against the file's overall budget. */
  #failures = { failed: 0 };

  constructor(file: ResolvedFile, ctx: FileTaskContext) {
    this.file = file;
    this.#ctx = ctx;
    this.host = new URL(file.url).host;
    this.ref = { index: file.index, path: file.relPath, url: file.displayUrl };
    this.#url = file.url;
    this.#userHeaders = file.headers;
    this.result = new Promise((resolve) => (this.#resolve = resolve));
  }

  get active(): number {
    return this.#conns.size;
  }

  get size(): number | undefined {
    return this.#size;
  }

  /** The file has failed and is winding down (its result comes once .part/.pdl are dealt with). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  get completedBytes(): number {
    return totalLength(this.#done);
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

  /**
   * How much a new connection would gain, in bytes; Infinity when the task needs its first connection;
   * 0 when another connection is of no use now.
   */
  demand(): number {
    if (this.#phase !== 'active' || this.#failure || this.#restarting || this.#ctx.runSignal.aborted) return 0;
    if (this.#conns.size === 0) return this.#firstIsNeeded || !this.#isComplete() ? Infinity : 0;
    if (!this.#known || this.#ranges !== true || this.#size === undefined) return 0;
    if (this.#conns.size >= this.file.connections) return 0;
    const work = this.#chooseWork();
    if (!work) return 0;
    return work.gain;
  }

  /** The scheduler started this file: it has reserved one slot for the first connection. */
  begin(): void {
    this.#phase = 'active';
    this.#startedAt = Date.now();
    this.connect();
  }

  /** The scheduler reserved a slot for this task: start a connection on the best work, or give it back. */
  connect(): void {
    if (this.#conns.size === 0 && (this.#firstIsNeeded || !this.#prepared)) {
      this.#firstIsNeeded = false;
      this.#launch({ position: 0, end: Infinity }, true);
      return;
    }
    const work = this.#chooseWork();
    if (!work) {
      this.#ctx.released(this);
      if (this.#conns.size === 0 && this.#known && !this.#isComplete()) {
        // Bytes missing and nothing can fetch them (a state pdl does not write): fail rather than spin.
        this.#fail(new ProtocolError(`cannot fetch the missing bytes of ${this.file.relPath}: the server does not allow byte ranges`, { url: this.file.displayUrl }));
        return;
      }
      if (this.#conns.size === 0) this.#maybeFinish();
      return;
    }
    if (work.kind === 'take') {
      this.#launch({ position: work.start, end: work.end }, false);
    } else {
      const victim = this.#conns.get(work.id)!;
      victim.cursor.end = work.at;
      this.#launch({ position: work.at, end: work.end }, false);
    }
  }

  /** The run was stopped: a file in flight without a connection (between ranges, verifying) finishes now. */
  runStopped(): void {
    if (this.#conns.size === 0) this.#maybeFinish();
  }

  /** Called by the run's ticker: drop connections that delivered nothing for `timeout`. */
  watchdog(now: number): void {
    for (const conn of this.#conns.values()) {
      if (!conn.cursor.paused && now - conn.cursor.lastByteAt > this.file.timeout && !conn.controller.signal.aborted) {
        conn.controller.abort(new StallError(this.file.timeout, { url: this.file.displayUrl }));
      }
    }
    if (this.#phase === 'active' && !this.#restarting && now - this.#lastCheckpoint >= CHECKPOINT_MS && !this.#checkpointing) {
      this.#lastCheckpoint = now;
      void this.#checkpoint().catch((error: unknown) => this.#fail(error));
    }
  }

  /** Bytes received over the network in this run. */
  get transferred(): number {
    return this.meter.total;
  }

  #chooseWork() {
    if (this.#size === undefined || this.#ranges === false) return null;
    const conns = [...this.#conns.values()];
    const active = conns.map((c) => ({ id: c.id, position: c.cursor.position, end: c.cursor.end }));
    // Bytes a connection received but has not written yet are neither done nor ahead of it: count them as held,
    // or a new connection would fetch them a second time.
    const received = conns.filter((c) => c.cursor.position > c.start).map((c) => ({ start: c.start, end: c.cursor.position }));
    const done = received.length > 0 ? normalize([...this.#done, ...received]) : this.#done;
    // One connection takes whatever is missing in one request; several share the file in segments, in order.
    const segmentSize = this.file.connections > 1 ? segmentSizeFor(this.#size, this.file.connections, this.file.minSplitSize) : undefined;
    return chooseWork({ size: this.#size, done, active, minSplitSize: this.file.minSplitSize, ...(segmentSize ? { segmentSize } : {}) });
  }

  #isComplete(): boolean {
    return this.#size !== undefined && isComplete(this.#done, this.#size);
  }

  #launch(range: { position: number; end: number }, first: boolean): void {
    const conn: Connection = {
      id: this.#nextId++,
      cursor: { position: range.position, end: range.end, lastByteAt: Date.now(), paused: false, received: 0 },
      controller: new AbortController(),
      generation: this.#generation,
      start: range.position,
      startedAt: Date.now(),
      settled: Promise.resolve(),
    };
    this.#conns.set(conn.id, conn);
    conn.settled = this.#run(conn, first);
  }

  async #run(conn: Connection, first: boolean): Promise<void> {
    try {
      if (first && !this.#prepared) {
        conn.cursor.paused = true;
        const ready = await this.#prepare();
        conn.cursor.paused = false;
        if (!ready) return;
        if (this.#resuming) {
          conn.cursor.end = 0; // not a claim on any bytes while choosing its own work
          const work = this.#chooseWork();
          if (!work || work.kind !== 'take') return;
          conn.cursor.position = conn.start = work.start;
          conn.cursor.end = work.end;
        }
      }
      await this.#fetchLoop(conn, first);
    } catch (error) {
      if (conn.generation === this.#generation) this.#fail(error);
    } finally {
      this.#conns.delete(conn.id);
      this.#ctx.released(this);
      this.#maybeFinish();
    }
  }

  async #fetchLoop(conn: Connection, firstOfFile: boolean): Promise<void> {
    let first = firstOfFile;
    let count = { attempt: 0, trickled: 0 };
    this.#ctx.events.emit('range:start', this.#rangeRef(conn));
    for (;;) {
      if (conn.generation !== this.#generation || this.#ctx.runSignal.aborted) return;
      const before = conn.cursor.position;
      // Bytes from here on are this request's: received but unwritten ones count as held (see #chooseWork).
      conn.start = before;
      conn.cursor.lastByteAt = Date.now();
      const signal = AbortSignal.any([this.#ctx.runSignal, conn.controller.signal]);
      try {
        const outcome = await fetchRange({
          dispatcher: this.#ctx.dispatcher,
          url: this.#url,
          userHeaders: this.#userHeaders,
          secrets: this.file.secrets,
          displayUrl: this.file.displayUrl,
          signal,
          cursor: conn.cursor,
          useRange: this.#ranges !== false,
          openEnded: !Number.isFinite(conn.cursor.end),
          first: first && !this.#resuming,
          size: this.#size,
          ifRange: this.#size !== undefined && (this.#validators.etag || this.#validators.lastModified) ? this.#validators : undefined,
          sink: this.#sink,
          beforeChunk: this.#ctx.rateLimit,
          onResponse: async (info) => {
            await this.#onResponse(conn, info, first);
            // The file is known now: this connection's retries ask for its own bounded range, like any other.
            first = false;
          },
        });
        if (conn.generation !== this.#generation) return;
        if (outcome.kind === 'changed' || outcome.kind === 'no-ranges') {
          await this.#restart(conn, outcome.kind, outcome.info);
          first = true;
          count = { attempt: 0, trickled: 0 };
          continue;
        }
        if (outcome.kind === 'empty') {
          this.#size = 0;
          this.#known = true;
          await this.#openHash();
          return;
        }
        if (this.#size === undefined) {
          // One stream of unknown length ended cleanly: that is the size. The hash opened with the response has
          // been following the written prefix all along.
          this.#size = conn.cursor.position;
          if (!this.#hash) await this.#openHash();
        }
        this.#ctx.events.emit('range:done', this.#rangeRef(conn));
        return;
      } catch (error) {
        if (conn.generation !== this.#generation || this.#ctx.runSignal.aborted) return;
        const reason = conn.controller.signal.aborted ? conn.controller.signal.reason : error;
        const fallback = reason instanceof ProtocolError && !(reason instanceof ContentEncodingError) && this.#ranges !== false;
        if (reason instanceof RemoteChangedError || fallback) {
          await this.#restart(conn, reason instanceof RemoteChangedError ? 'changed' : 'no-ranges', undefined);
          first = true;
          count = { attempt: 0, trickled: 0 };
          continue;
        }
        if (reason instanceof HttpStatusError && EXPIRED_TARGET.has(reason.status) && this.#url !== this.file.url && this.#reResolved < 3) {
          // Later requests go straight to where the first one was redirected; such targets (signed CDN URLs)
          // expire. Ask the URL from the job again, which redirects to a fresh one.
          this.#reResolved++;
          this.#url = this.file.url;
          this.#userHeaders = this.file.headers;
          continue;
        }
        // Bytes of an encoded stream are fetched again from 0: no progress at all.
        const progress = this.#encoded ? 0 : conn.cursor.position - before;
        const { file } = this;
        const attempted = { error: reason, progress, size: this.#size, retries: file.retries, received: this.meter.total, url: file.displayUrl, secrets: file.secrets };
        const decision = judgeFailedAttempt(attempted, count, this.#failures);
        if (decision.retry === false) throw decision.error;
        conn.controller = new AbortController();
        const info = { attempt: count.attempt, delayMs: decision.delayMs, reason: decision.reason };
        this.#ctx.events.emit('range:retry', { ...this.#rangeRef(conn), ...info });
        this.#ctx.events.emit('file:retry', { ...this.ref, ...info });
        conn.cursor.paused = true;
        // Woken early when the run stops or the file fails or restarts (they abort the connection).
        await sleep(decision.delayMs, AbortSignal.any([this.#ctx.runSignal, conn.controller.signal]));
        conn.cursor.paused = false;
        if (this.#encoded && !this.#ctx.runSignal.aborted) {
          await this.#restart(conn, 'encoded', undefined);
          first = true;
        }
        conn.start = conn.cursor.position;
      }
    }
  }

  async #prepare(): Promise<boolean> {
    const early = this.#ctx.failAtStart?.get(this.file.index);
    if (early) throw early;
    const prep = await prepareFile(this.file, this.#ctx.output, this.#ctx.mirror?.get(this.file.relPath), this.#ctx.reuse ? { reuse: this.#ctx.reuse } : {});
    this.#prepared = true;
    if (prep.action === 'reuse') {
      await this.#reuse(prep.candidate, prep.repair);
      return false;
    }
    if (prep.action === 'skip' || prep.action === 'unchanged') {
      this.#finish({ outcome: prep.action === 'skip' ? 'skipped' : 'unchanged', size: prep.size, sha256: prep.sha256, reason: prep.reason });
      return false;
    }
    if (prep.action === 'conditional') {
      const answer = await checkRemote({
        dispatcher: this.#ctx.dispatcher,
        url: this.file.url,
        userHeaders: this.file.headers,
        secrets: this.file.secrets,
        displayUrl: this.file.displayUrl,
        entry: prep.entry,
        signal: this.#ctx.runSignal,
        retries: this.file.retries,
        timeoutMs: this.file.timeout,
        onRetry: (info) => this.#ctx.events.emit('file:retry', { ...this.ref, ...info }),
      });
      if (answer === 'stopped') return false;
      if (answer === 'not-modified') {
        this.#finish({ outcome: 'unchanged', size: prep.entry.size, sha256: prep.entry.sha256, reason: 'not modified on the server' });
        return false;
      }
      // A new version: downloaded to .part like any other; the old copy stays in place until the rename.
    }
    this.#repair = prep.action === 'fresh' && prep.repair === true;
    try {
      await this.#ctx.output.ensureParentDir(this.file.path);
    } catch (error) {
      throw toLocalIOError(error, this.file.path, 'create the folder of');
    }
    const partPath = PartFile.partPathOf(this.file.path);
    if (prep.action === 'resume') {
      const state = prep.state;
      this.#resuming = true;
      this.#size = state.size;
      this.#ranges = state.ranges;
      this.#validators = { etag: state.etag, lastModified: state.lastModified };
      const opened = await PartFile.openExisting(partPath, state.size);
      if (opened.status === 'ok') {
        // Bytes past the file's length before reopening were never really written (a crash before preallocation).
        this.#done = state.done.filter((iv) => iv.start < opened.previousSize).map((iv) => ({ start: iv.start, end: Math.min(iv.end, opened.previousSize) }));
        this.#resumedBytes = totalLength(this.#done);
        this.#part = opened.file;
      } else {
        await this.#resetStorage();
      }
    } else {
      this.#part = await PartFile.create(partPath, undefined);
    }
    // A resume knows the size now; a fresh download announces itself when the first answer tells the size.
    if (this.#resuming) this.#announceStart();
    if (this.#resuming && this.#isComplete()) {
      // Killed after the last byte but before the rename: verify what is there.
      this.#known = true;
      await this.#openHash();
      return false;
    }
    return true;
  }

  /** Link (or copy) a verified local copy into place instead of downloading; no request is made. */
  async #reuse(candidate: ReuseCandidate, repair: boolean): Promise<void> {
    const sha256 = this.file.checksum!.hex;
    try {
      await this.#ctx.output.ensureParentDir(this.file.path);
    } catch (error) {
      throw toLocalIOError(error, this.file.path, 'create the folder of');
    }
    const how = await reuseInto(this.file, candidate, sha256);
    this.#ctx.output.renamedInto(dirname(this.file.path));
    if (this.#ctx.mirror) {
      const entry = mirrorEntryOf(this.file, { finalUrl: this.file.url, validators: { etag: undefined, lastModified: undefined }, size: candidate.size, sha256 });
      this.#ctx.mirror.record(this.file.relPath, entry);
    }
    await this.#storeInCache(sha256);
    this.#ctx.events.emit('file:verified', { ...this.ref, algorithm: 'sha256', hex: sha256 });
    const reason = `${how === 'linked' ? 'hard-linked' : 'copied'} from ${candidate.label}${repair ? ', replacing a locally changed copy' : ''}`;
    this.#finish({ outcome: 'reused', size: candidate.size, sha256, reason });
  }

  /** Keep a completed file for later jobs; a cache that cannot take it is worth a note, never a failed file. */
  async #storeInCache(sha256: string | undefined): Promise<void> {
    const cache = this.#ctx.reuse?.cache;
    if (cache === undefined || sha256 === undefined) return;
    await storeInCache(cache, this.file.path, sha256).catch((error: unknown) =>
      this.#ctx.events.emit('run:note', { message: `${this.file.relPath} not stored in the cache: ${error instanceof Error ? error.message : String(error)}` }),
    );
  }

  async #onResponse(conn: Connection, info: ResponseInfo, first: boolean): Promise<void> {
    if (first) {
      if (this.#resuming && validatorsDiffer(this.#validators, info.validators)) {
        throw new RemoteChangedError('validators changed on resume', { url: this.file.displayUrl });
      }
      this.#size = info.size;
      this.#ranges = info.ranged;
      this.#validators = info.validators;
      this.#encoded = info.decoded;
      // A server's digest covers the encoded bytes (RFC 9530), not the decoded file.
      this.#digests = info.decoded ? [] : parseDigestHeaders(info.headers);
      this.#followRedirect(info);
      // Preallocate what will be written in several ranges (an early EFBIG, a file length right for any order);
      // a file that arrives in one piece is written in order anyway, and the extra syscall would be pure cost.
      const willSplit = this.file.connections > 1 && this.#size !== undefined && this.#size > 2 * this.file.minSplitSize;
      if (!this.#resuming && willSplit) await this.#part!.truncate(this.#size!);
      await this.#openHash();
      this.#known = true;
      this.#announceStart();
      this.#ctx.wake();
    } else if (validatorsDiffer(this.#validators, readValidators(info.headers))) {
      throw new RemoteChangedError('the file changed on the server during the download', { url: this.file.displayUrl });
    } else {
      this.#followRedirect(info);
    }
  }

  /** Later requests go where this answer came from; once a hop left the job's origin, user headers stay off. */
  #followRedirect(info: ResponseInfo): void {
    if (info.finalUrl === this.#url) return;
    this.#url = info.finalUrl;
    if (info.crossOrigin) this.#userHeaders = {};
  }

  #announceStart(): void {
    if (this.#announced) return;
    this.#announced = true;
    this.#ctx.events.emit('file:start', { ...this.ref, size: this.#size, resumedBytes: this.#resumedBytes, ranges: this.#ranges === true });
  }

  async #openHash(): Promise<void> {
    const algorithms = new Set<'sha256' | 'sha512' | 'sha1' | 'md5'>();
    // The state file records sha256, so `newer` can tell a damaged local copy from the one pdl wrote.
    if (this.#ctx.mirror || this.#ctx.reuse?.cache !== undefined) algorithms.add('sha256');
    if (this.file.checksum) algorithms.add(this.file.checksum.algorithm);
    for (const digest of this.#digests) algorithms.add(digest.algorithm);
    this.#hash?.abort();
    this.#hash = undefined;
    this.#hashedPrefix = 0;
    if (algorithms.size === 0) return;
    this.#hash = hashService.open(PartFile.partPathOf(this.file.path), [...algorithms]);
    this.#advanceHash();
  }

  /** Where every connection's bytes go: the current .part (replaced on a restart, after all writers settled). */
  readonly #sink: ByteSink = {
    writev: (chunks, length, position) => this.#part!.writev(chunks, length, position),
    written: (start, end) => this.#written(start, end),
  };

  #written(start: number, end: number): void {
    this.#done = addInterval(this.#done, { start, end });
    this.meter.add(end - start);
    this.#advanceHash();
  }

  #advanceHash(): void {
    if (!this.#hash) return;
    const prefix = contiguousPrefix(this.#done);
    if (prefix > this.#hashedPrefix) {
      this.#hashedPrefix = prefix;
      this.#hash.advance(prefix);
    }
  }

  /** Discard every byte held and start again from a first request. */
  async #restart(conn: Connection, kind: 'changed' | 'no-ranges' | 'encoded', info: ResponseInfo | undefined): Promise<void> {
    if (kind === 'changed' && ++this.#changedRestarts > 1) {
      throw new RemoteChangedError('the file changed on the server again after a restart; giving up', { url: this.file.displayUrl });
    }
    if (kind === 'no-ranges' && ++this.#rangeFallbacks > 1) {
      throw new ProtocolError('the server does not honour byte ranges consistently', { url: this.file.displayUrl });
    }
    this.#restarting = true;
    try {
      this.#generation++;
      conn.generation = this.#generation;
      const others = [...this.#conns.values()].filter((c) => c !== conn);
      for (const other of others) other.controller.abort(new InterruptedError('restart'));
      await Promise.all(others.map((c) => c.settled));
      await this.#resetStorage();
      this.#ranges = kind === 'changed' ? undefined : false;
      conn.cursor.position = conn.start = 0;
      conn.cursor.end = Infinity;
      // A broken encoded stream was reported as a retry already.
      if (kind === 'encoded') return;
      const reason =
        kind === 'changed' ? `the file changed on the server${info ? ` (${describeValidators(info.validators)})` : ''}; starting over` : 'the server does not honour byte ranges; downloading as one stream';
      this.#ctx.events.emit('file:retry', { ...this.ref, attempt: 1, delayMs: 0, reason });
    } finally {
      this.#restarting = false;
    }
  }

  async #resetStorage(): Promise<void> {
    this.#hash?.abort();
    this.#hash = undefined;
    this.#hashedPrefix = 0;
    if (this.#checkpointing) await this.#checkpointing.catch(() => undefined);
    const partPath = PartFile.partPathOf(this.file.path);
    if (this.#part) await this.#part.discard();
    else await rm(partPath, { force: true }).catch((error: unknown) => Promise.reject(toLocalIOError(error, partPath, 'remove')));
    await removeResumeState(controlPathOf(this.file.path));
    this.#part = await PartFile.create(partPath, undefined);
    this.#done = [];
    this.#size = undefined;
    this.#known = false;
    this.#resuming = false;
    this.#resumedBytes = 0;
    this.#validators = { etag: undefined, lastModified: undefined };
    this.#digests = [];
  }

  /** Save progress; false when this download cannot be resumed (nothing was written). */
  async #checkpoint(): Promise<boolean> {
    const part = this.#part;
    if (!part || this.#size === undefined || this.#ranges !== true || this.#phase === 'finished') return false;
    // Without a validator a resume could stitch two versions together; only a checksum would catch that.
    if (!this.#validators.etag && !this.#validators.lastModified && !this.file.checksum) return false;
    const done = this.#done;
    const run = (async () => {
      await part.sync();
      await writeResumeState(controlPathOf(this.file.path), {
        format: 'pdl-resume',
        version: 1,
        url: this.file.displayUrl,
        size: this.#size,
        etag: this.#validators.etag,
        lastModified: this.#validators.lastModified,
        ranges: true,
        done,
        updatedAt: new Date().toISOString(),
      });
    })();
    this.#checkpointing = run;
    try {
      await run;
    } finally {
      if (this.#checkpointing === run) this.#checkpointing = undefined;
    }
    return true;
  }

  /**
   * After a failure or a stop: keep the .part with its control file for a rerun, or delete it when a rerun could
   * not trust it anyway (no control file possible, or the bytes themselves are wrong). A control file that could
   * not be rewritten (disk full) is kept with its .part: the state it holds from before is still true.
   */
  async #keepOrDiscard(trustworthy: boolean): Promise<void> {
    const resumable = trustworthy ? await this.#checkpoint().catch(() => true) : false;
    if (resumable) {
      await this.#part?.close().catch(() => undefined);
      return;
    }
    if (!this.#part) return;
    await this.#part.discard().catch(() => undefined);
    this.#part = undefined;
    // Nothing is kept: "stopped at" must not promise a rerun bytes it will not find.
    this.#done = [];
    await removeResumeState(controlPathOf(this.file.path)).catch(() => undefined);
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#phase === 'finished') return;
    this.#failure = error instanceof PdlError ? error : asPdlError(error, this.file.path);
    this.#generation++;
    for (const conn of this.#conns.values()) conn.controller.abort(this.#failure);
    if (this.#conns.size === 0) this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#conns.size > 0 || this.#restarting || this.#phase !== 'active') return;
    if (this.#failure) {
      this.#phase = 'finishing';
      void this.#finalizeFailure(this.#failure);
    } else if (this.#ctx.runSignal.aborted) {
      this.#phase = 'finishing';
      void this.#finalizeInterrupted();
    } else if (this.#known && this.#isComplete()) {
      this.#phase = 'finishing';
      void this.#finalizeSuccess().catch((error: unknown) => {
        this.#phase = 'active';
        this.#fail(error);
        // #fail does nothing when a failure was recorded meanwhile (a checkpoint); finish with that one.
        this.#maybeFinish();
      });
    } else {
      this.#ctx.wake();
    }
  }

  async #finalizeSuccess(): Promise<void> {
    if (this.#checkpointing) await this.#checkpointing.catch(() => undefined);
    const size = this.#size!;
    let digests: Record<string, string> = {};
    if (this.#hash) {
      this.#hash.advance(size);
      digests = await this.#hash.finish(size);
      this.#hash = undefined;
    }
    const expected = [
      ...(this.file.checksum ? [{ algorithm: this.file.checksum.algorithm, hex: this.file.checksum.hex, source: 'checksum' }] : []),
      ...this.#digests.map((d) => ({ algorithm: d.algorithm, hex: d.hex, source: d.source })),
    ];
    try {
      verifyDigests(digests, expected, { url: this.file.displayUrl, path: this.file.path });
    } catch (error) {
      if (!(error instanceof ChecksumMismatchError)) throw error;
      if (this.#checksumRetries >= 1) {
        await this.#part?.discard();
        await removeResumeState(controlPathOf(this.file.path));
        this.#part = undefined;
        this.#done = [];
        throw error;
      }
      this.#checksumRetries++;
      this.#ctx.events.emit('file:retry', { ...this.ref, attempt: 1, delayMs: 0, reason: `${error.message}; downloading again from scratch` });
      this.#generation++;
      await this.#resetStorage();
      this.#firstIsNeeded = true;
      this.#prepared = true;
      this.#phase = 'active';
      // Not just wake(): the run may have been stopped while we verified, and then nothing would finish us.
      this.#maybeFinish();
      return;
    }
    if (this.file.checksum) {
      this.#ctx.events.emit('file:verified', { ...this.ref, algorithm: this.file.checksum.algorithm, hex: this.file.checksum.hex });
    }
    await this.#part!.commit(this.file.path);
    this.#ctx.output.renamedInto(dirname(this.file.path));
    this.#part = undefined;
    await removeResumeState(controlPathOf(this.file.path));
    if (this.#ctx.mirror && digests.sha256 !== undefined) {
      const entry = mirrorEntryOf(this.file, { finalUrl: this.#url, validators: this.#validators, size, sha256: digests.sha256 });
      this.#ctx.mirror.record(this.file.relPath, entry);
    }
    await this.#storeInCache(digests.sha256);
    this.#finish({
      outcome: this.#repair ? 'repaired' : this.#resumedBytes > 0 ? 'resumed' : 'downloaded',
      size,
      sha256: digests.sha256,
      reason: undefined,
    });
  }

  async #finalizeFailure(error: PdlError): Promise<void> {
    this.#hash?.abort();
    this.#hash = undefined;
    // Keep what arrived for a rerun, unless the bytes themselves are wrong.
    await this.#keepOrDiscard(error.kind !== 'integrity');
    const failure: FailureInfo = { code: error.code, kind: error.kind, message: maskSecrets(error.message, this.file.secrets) };
    const stoppedAt = this.#size === undefined ? `${this.completedBytes} bytes` : `${this.completedBytes} of ${this.#size} bytes`;
    this.#ctx.events.emit('file:failed', { ...this.ref, error: failure, transferred: this.transferred, elapsedMs: Date.now() - this.#startedAt, stoppedAt });
    this.#settle({ outcome: 'failed', size: this.#size, sha256: undefined, error: failure });
  }

  async #finalizeInterrupted(): Promise<void> {
    this.#hash?.abort();
    this.#hash = undefined;
    let error: unknown;
    const resumable = await this.#checkpoint().catch((e: unknown) => {
      error = e;
      return true;
    });
    if (resumable) await this.#part?.close().catch(() => undefined);
    else await this.#keepOrDiscard(false);
    if (error) {
      this.#phase = 'active';
      this.#failure = undefined;
      return void this.#finalizeFailure(toLocalIOError(error, controlPathOf(this.file.path), 'save progress to'));
    }
    this.#ctx.events.emit('file:interrupted', { ...this.ref, transferred: this.transferred, completedBytes: this.completedBytes, size: this.#size });
    this.#settle({ outcome: 'interrupted', size: this.#size, sha256: undefined, error: undefined });
  }

  #finish(done: { outcome: DoneOutcome; size: number; sha256: string | undefined; reason: string | undefined }): void {
    const elapsedMs = Date.now() - this.#startedAt;
    this.#ctx.events.emit('file:done', { ...this.ref, ...done, transferred: this.transferred, elapsedMs, ...(done.reason ? { reason: done.reason } : {}) });
    this.#settle({ outcome: done.outcome, size: done.size, sha256: done.sha256, error: undefined });
  }

  #settle(r: Pick<FileResult, 'outcome' | 'size' | 'sha256' | 'error'>): void {
    this.#phase = 'finished';
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

function describeValidators(v: Validators): string {
  return v.etag ? `ETag ${v.etag}` : v.lastModified ? `Last-Modified ${v.lastModified}` : 'size differs';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
