/**
 * A file's bytes on disk while it downloads: the `.part`, which intervals of it are written, the running hash of
 * its written prefix, and the control file that lets a rerun resume (written after the `.part` is synced).
 */
import { rm } from 'node:fs/promises';
import { toLocalIOError } from '../error-wrap.js';
import type { ChecksumAlgorithm, ResolvedFile } from '../job/resolved.js';
import type { Validators } from '../sources/source.js';
import { addInterval, contiguousPrefix, isComplete, totalLength, type Interval } from '../storage/intervals.js';
import { PartFile } from '../storage/part-file.js';
import { controlPathOf, hasResumeState, removeResumeState, writeResumeState, type ResumeState } from '../storage/resume-state.js';
import { openArrivalHash, type ArrivalHashJob } from '../verify/arrival-hash.js';
import type { Digests } from '../verify/checksum.js';
import type { ByteSink } from './body-writer.js';

/** What a checkpoint records about the remote file. */
export interface RemoteFacts {
  size: number | undefined;
  ranges: boolean;
  validators: Validators;
}

const CHECKPOINT_MS = 1000;

export class PartProgress {
  readonly #file: ResolvedFile;
  #part: PartFile | undefined;
  #done: Interval[] = [];
  #hash: ArrivalHashJob | undefined;
  #hashedPrefix = 0;
  #checkpointing: Promise<void> | undefined;
  /**
   * The first periodic checkpoint comes a period after the file started, not at the run's first tick: a file done
   * within a second never writes a resume state (its fdatasync, temp file and rename, then the unlink), which most
   * files of a big job of small files used to, whenever a tick fell while they downloaded.
   */
  #lastCheckpoint = Date.now();
  /** False while this run knows no control file is there (the start hook cleared it, none written since). */
  #controlMayExist = true;
  /** Bytes that were already there when this run resumed the file. */
  resumedBytes = 0;

  constructor(file: ResolvedFile) {
    this.#file = file;
  }

  get partPath(): string {
    return PartFile.partPathOf(this.#file.path);
  }

  get controlPath(): string {
    return controlPathOf(this.#file.path);
  }

  get done(): readonly Interval[] {
    return this.#done;
  }

  get completedBytes(): number {
    return totalLength(this.#done);
  }

  isComplete(size: number | undefined): boolean {
    return size !== undefined && isComplete(this.#done, size);
  }

  /** A new, empty `.part` (none may exist: prepare removed any untrusted one). */
  async create(): Promise<void> {
    this.#part = await PartFile.create(this.partPath, undefined);
  }

  /** A new, empty `.part`, unless a file (of any kind) is at its path: false then, and nothing is touched. */
  async createIfAbsent(): Promise<boolean> {
    this.#part = await PartFile.createIfAbsent(this.partPath);
    return this.#part !== undefined;
  }

  /** Reopen the `.part` of an interrupted download; false when it is gone or longer than the file (start over). */
  async resume(state: ResumeState): Promise<boolean> {
    const opened = await PartFile.openExisting(this.partPath, state.size);
    if (opened.status !== 'ok') return false;
    // Bytes past the file's length before reopening were never really written (a crash before preallocation).
    this.#done = state.done.filter((iv) => iv.start < opened.previousSize).map((iv) => ({ start: iv.start, end: Math.min(iv.end, opened.previousSize) }));
    this.resumedBytes = totalLength(this.#done);
    this.#part = opened.file;
    return true;
  }

  /** Set the length before ranges arrive in any order (an early EFBIG, a right length whatever the order). */
  async preallocate(size: number): Promise<void> {
    await this.#part!.truncate(size);
  }

  writev(chunks: Buffer[], length: number, position: number): Promise<void> {
    const hash = this.#hash;
    const writing = this.#part!.writev(chunks, length, position);
    if (hash === undefined) return writing;
    hash.offer(chunks, length, position);
    // The caller sees the failure; the hash only learns that the disk may not hold what it was offered.
    writing.catch(() => hash.spoil());
    return writing;
  }

  /** Where a connection's bytes go: positional writes into the `.part`; `counted` hears of each write done. */
  sink(counted: (bytes: number) => void): ByteSink {
    return {
      writev: (chunks, length, position) => this.writev(chunks, length, position),
      written: (start, end) => {
        this.written(start, end);
        counted(end - start);
      },
    };
  }

  /** Bytes [start, end) reached the `.part`. */
  written(start: number, end: number): void {
    this.#done = addInterval(this.#done, { start, end });
    this.#advanceHash();
  }

  /** Hash the written prefix with these algorithms as it grows (restarting any running hash). */
  openHash(algorithms: ReadonlySet<ChecksumAlgorithm>): void {
    this.abortHash();
    if (algorithms.size === 0) return;
    // Small files are hashed as their bytes go to disk; large or out-of-order ones on the hash worker (arrival-hash.ts).
    this.#hash = openArrivalHash(this.partPath, [...algorithms]);
    this.#advanceHash();
  }

  abortHash(): void {
    this.#hash?.abort();
    this.#hash = undefined;
    this.#hashedPrefix = 0;
  }

  /** The digests of the whole file, once every byte is written; {} when nothing was hashed. */
  async digests(size: number): Promise<Digests> {
    const hash = this.#hash;
    if (!hash) return {};
    this.#hash = undefined;
    hash.advance(size);
    return hash.finish(size);
  }

  /** Save progress; false when this download cannot be resumed (size or ranges unknown, nothing to validate by). */
  async checkpoint(remote: RemoteFacts): Promise<boolean> {
    const part = this.#part;
    if (!part || remote.size === undefined || !remote.ranges) return false;
    // Without a validator a resume could stitch two versions together; only a checksum would catch that.
    if (!remote.validators.etag && !remote.validators.lastModified && !this.#file.checksum) return false;
    // One at a time: a periodic checkpoint that finished after this one would leave its older state on disk.
    await this.settled();
    const done = this.#done;
    // Before anything is awaited: a commit that reads this while the checkpoint runs must still remove its file.
    this.#controlMayExist = true;
    const run = (async () => {
      await part.sync();
      await writeResumeState(this.controlPath, {
        format: 'pdl-resume',
        version: 1,
        url: this.#file.displayUrl,
        size: remote.size,
        etag: remote.validators.etag,
        lastModified: remote.validators.lastModified,
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

  /** Save progress about once a second while the file downloads; undefined when it is not time. */
  checkpointNow(now: number, remote: RemoteFacts): Promise<boolean> | undefined {
    if (this.#checkpointing !== undefined || now - this.#lastCheckpoint < CHECKPOINT_MS) return undefined;
    this.#lastCheckpoint = now;
    return this.checkpoint(remote);
  }

  /** Wait for a checkpoint in progress (its failure is reported where it was started). */
  async settled(): Promise<void> {
    if (this.#checkpointing) await this.#checkpointing.catch(() => undefined);
  }

  /** Drop every byte held and start again with an empty `.part`. */
  async reset(): Promise<void> {
    this.abortHash();
    await this.settled();
    if (this.#part) await this.#part.discard();
    else await rm(this.partPath, { force: true }).catch((error: unknown) => Promise.reject(toLocalIOError(error, this.partPath, 'remove')));
    this.#part = undefined;
    await removeResumeState(this.controlPath);
    this.#done = [];
    this.resumedBytes = 0;
    await this.create();
  }

  /**
   * After a failure or a stop: keep the `.part` with its control file for a rerun, or delete both when a rerun could
   * not trust them anyway (no control file possible, or the bytes themselves are wrong). A control file that could
   * not be rewritten (disk full) is kept with its `.part`: the state it holds from before is still true.
   */
  async keepOrDiscard(remote: RemoteFacts | undefined, trustworthy: boolean): Promise<void> {
    this.abortHash();
    // A control file that cannot be rewritten (disk full) keeps its `.part` only when an earlier one exists: that
    // state is still true. Without one, the `.part` would only keep the disk full.
    const resumable = trustworthy && remote ? await this.checkpoint(remote).catch(() => hasResumeState(this.controlPath)) : false;
    if (resumable) {
      await this.#part?.close().catch(() => undefined);
      return;
    }
    await this.discard().catch(() => undefined);
  }

  /**
   * Keep what is there for a rerun; false when nothing could be kept (no ranges, no validator). A control file that
   * cannot be saved is the caller's failure.
   */
  async keepForRerun(remote: RemoteFacts | undefined): Promise<boolean> {
    this.abortHash();
    const resumable = remote ? await this.checkpoint(remote) : false;
    if (resumable) await this.#part?.close().catch(() => undefined);
    else await this.discard().catch(() => undefined);
    return resumable;
  }

  /** Remove the `.part` and its control file; nothing is kept ("stopped at" must not promise what is gone). */
  async discard(): Promise<void> {
    this.abortHash();
    const part = this.#part;
    this.#part = undefined;
    this.#done = [];
    // Without a `.part` of ours, the files at these paths are not ours to remove.
    if (!part) return;
    await part.discard();
    await removeResumeState(this.controlPath);
  }

  /** The start hook made sure there is no control file: unless a checkpoint writes one, commit removes none. */
  noControlFile(): void {
    this.#controlMayExist = false;
  }

  /** The `.part` becomes the file (atomic rename); the control file goes (most files never had one: no unlink). */
  async commit(): Promise<void> {
    await this.#part!.commit(this.#file.path);
    this.#part = undefined;
    if (this.#controlMayExist) await removeResumeState(this.controlPath);
  }

  #advanceHash(): void {
    if (!this.#hash) return;
    const prefix = contiguousPrefix(this.#done);
    if (prefix > this.#hashedPrefix) {
      this.#hashedPrefix = prefix;
      this.#hash.advance(prefix);
    }
  }
}
