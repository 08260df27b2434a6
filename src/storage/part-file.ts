/**
 * The `.part` file: receives bytes at their offsets while ranges arrive in any order, then becomes the
 * final file by one atomic rename. Writes go through FileHandle (libuv's thread pool), so the copying into
 * the page cache runs on the second core while the event loop reads sockets.
 */

import { constants, type promises as fsp } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { LocalIOError, PartReplacedError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import { COMPANION_SUFFIXES } from './companion-names.js';
import { WritebackAhead } from './writeback.js';

type FileHandle = fsp.FileHandle;

/** What `PartFile.openExisting` found. */
export type OpenExistingResult =
  /**
   * `previousSize` is the length the file had before we extended it to `expectedSize`: bytes past it are
   * zeros now, so the caller must drop any "done" interval beyond it.
   */
  | { status: 'ok'; file: PartFile; previousSize: number }
  | { status: 'missing' }
  /** Longer than the size we expect: not ours, or the remote changed. Left untouched; start from scratch. */
  | { status: 'too-long'; actualSize: number };

const { O_CREAT, O_EXCL, O_RDWR, O_NOFOLLOW } = constants;

export class PartFile {
  readonly path: string;
  #handle: FileHandle | undefined;
  #closing: Promise<void> | undefined;
  readonly #writeback = new WritebackAhead(async () => this.#open('sync').datasync());

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  static partPathOf(finalPath: string): string {
    return `${finalPath}${COMPANION_SUFFIXES.part}`;
  }

  /**
   * Create a new .part file; an existing file or a symlink at `path` is an error, never overwritten.
   * A known size is preallocated with ftruncate: the file is sparse, so this reserves no disk blocks
   * (Node has no fallocate) — ENOSPC can still come later, from `write`. It does make EFBIG show up at once
   * and keeps the file length right for positional writes in any order.
   */
  static async create(path: string, size: number | undefined): Promise<PartFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, 0o644);
    } catch (error) {
      throw await openError(error, path, 'create');
    }
    const file = new PartFile(path, handle);
    if (size !== undefined && size > 0) {
      try {
        await handle.truncate(size);
      } catch (error) {
        await file.discard().catch(() => undefined);
        throw toLocalIOError(error, path, 'preallocate');
      }
    }
    return file;
  }

  /** Like `create` without a size, but a name already taken (a file, a link, anything) is undefined, not an error. */
  static async createIfAbsent(path: string): Promise<PartFile | undefined> {
    try {
      return new PartFile(path, await open(path, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, 0o644));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw await openError(error, path, 'create');
    }
  }

  /**
   * Reopen a .part file to resume it. It must be a regular file (not a link). A file shorter than
   * `expectedSize` is extended (a crash may have come before preallocation finished); a longer one is reported
   * as 'too-long' instead of being cut, because its "done" bytes cannot be trusted against a shorter remote.
   */
  static async openExisting(path: string, expectedSize: number | undefined): Promise<OpenExistingResult> {
    let handle: FileHandle;
    try {
      handle = await open(path, O_RDWR | O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
      throw await openError(error, path, 'open');
    }
    const file = new PartFile(path, handle);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new LocalIOError(`cannot resume ${path}: not a regular file`, { path });
      const previousSize = stats.size;
      if (expectedSize !== undefined && previousSize > expectedSize) {
        await file.close();
        return { status: 'too-long', actualSize: previousSize };
      }
      if (expectedSize !== undefined && previousSize < expectedSize) await handle.truncate(expectedSize);
      return { status: 'ok', file, previousSize };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw toLocalIOError(error, path, 'open');
    }
  }

  /** Remove a .part file that is not open (e.g. after 'too-long'); a missing file is fine. */
  static async remove(path: string): Promise<void> {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw toLocalIOError(error, path, 'remove');
    }
  }

  /** Write `buffer[0, length)` at `position`, looping on short writes. Concurrent calls at disjoint offsets are fine. */
  async write(buffer: Buffer, length: number, position: number): Promise<void> {
    const handle = this.#open('write');
    let done = 0;
    try {
      while (done < length) {
        const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
        // A zero-byte write would loop forever; the kernel only does that when it cannot make progress.
        if (bytesWritten <= 0) throw new LocalIOError(`cannot write ${this.path}: the write made no progress`, { path: this.path });
        done += bytesWritten;
      }
    } catch (error) {
      throw toLocalIOError(error, this.path, 'write');
    }
    this.#writeback.wrote(length);
  }

  /**
   * Gathered positional write of `chunks` (`length` bytes in total) at `position`: one syscall for many network
   * chunks, without copying them together first. A short write is finished with plain writes.
   */
  async writev(chunks: Buffer[], length: number, position: number): Promise<void> {
    const handle = this.#open('write');
    let bytesWritten: number;
    try {
      ({ bytesWritten } = await handle.writev(chunks, position));
    } catch (error) {
      throw toLocalIOError(error, this.path, 'write');
    }
    if (bytesWritten >= length) return this.#writeback.wrote(length);
    if (bytesWritten <= 0) throw new LocalIOError(`cannot write ${this.path}: the write made no progress`, { path: this.path });
    const rest = Buffer.concat(chunks, length).subarray(bytesWritten);
    this.#writeback.wrote(bytesWritten);
    await this.write(rest, rest.length, position + bytesWritten);
  }

  async truncate(size: number): Promise<void> {
    const handle = this.#open('truncate');
    try {
      await handle.truncate(size);
    } catch (error) {
      throw toLocalIOError(error, this.path, 'truncate');
    }
  }

  /** fdatasync: call before writing a resume state that claims these bytes are on disk. */
  async sync(): Promise<void> {
    const handle = this.#open('sync');
    try {
      await this.#syncedBehind();
      await handle.datasync();
    } catch (error) {
      throw toLocalIOError(error, this.path, 'sync');
    }
  }

  /** Idempotent; waits for writes still in flight (FileHandle.close does). */
  async close(): Promise<void> {
    if (this.#closing === undefined) {
      const handle = this.#handle;
      this.#handle = undefined;
      this.#closing = handle === undefined ? Promise.resolve() : handle.close();
    }
    try {
      await this.#closing;
    } catch (error) {
      throw toLocalIOError(error, this.path, 'close');
    }
  }

  /**
   * Make the download final: fdatasync, close, rename over `finalPath` (an existing file there is replaced — the
   * caller decided that). Sync first, so that after a crash `finalPath` is either absent/old or complete, never a
   * hole-filled file. The folder itself is synced by the caller (OutputDir.sync, once per run), which makes the
   * rename durable too.
   */
  async commit(finalPath: string): Promise<void> {
    const handle = this.#open('commit');
    try {
      await this.#syncedBehind();
      await handle.datasync();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw toLocalIOError(error, this.path, 'sync');
    }
    // Only the file we wrote may become `finalPath`: if the path now names another file (or none), something else
    // replaced it, and renaming would present bytes that are not ours.
    const ours = await this.#stillAtPath().catch(async (error: unknown) => {
      await this.close().catch(() => undefined);
      throw toLocalIOError(error, this.path, 'inspect');
    });
    await this.close();
    if (!ours) throw new PartReplacedError(this.path, finalPath);
    try {
      await rename(this.path, finalPath);
    } catch (error) {
      throw toLocalIOError(error, finalPath, 'rename the .part file to');
    }
  }

  /** Close and delete the .part file; a file already gone is fine, and one that is no longer ours is left alone. */
  async discard(): Promise<void> {
    const ours = this.#handle === undefined || (await this.#stillAtPath().catch(() => false));
    await this.close().catch(() => undefined);
    if (ours) await PartFile.remove(this.path);
  }

  /** Wait for the background fdatasync (writeback.ts); its failure fails this sync, though the next one may pass. */
  async #syncedBehind(): Promise<void> {
    const failure = await this.#writeback.settle();
    if (failure !== undefined) throw failure;
  }

  /** Whether `path` still names the file this handle has open (same device and inode). */
  async #stillAtPath(): Promise<boolean> {
    const mine = await this.#open('inspect').stat();
    try {
      const there = await lstat(this.path);
      return there.dev === mine.dev && there.ino === mine.ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  #open(action: string): FileHandle {
    if (this.#handle === undefined) {
      throw new LocalIOError(`cannot ${action} ${this.path}: the file is already closed`, { path: this.path });
    }
    return this.#handle;
  }
}

/** O_EXCL reports a symlink as EEXIST and O_NOFOLLOW as ELOOP; either way, name the link for what it is. */
async function openError(error: unknown, path: string, action: string): Promise<LocalIOError> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP' || code === 'EEXIST') {
    const isLink = await lstat(path).then((s) => s.isSymbolicLink(), () => false);
    if (isLink) {
      return new LocalIOError(`cannot ${action} ${path}: it is a symbolic link; pdl does not write through links`, {
        cause: error,
        path,
      });
    }
  }
  return toLocalIOError(error, path, action);
}
