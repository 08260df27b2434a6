/**
 * The output root as one run sees it. Per-file filesystem work is what a many-small-files job spends its time
 * on (creating a file on this kind of disk costs more than downloading 100 KiB over loopback), so each folder is
 * checked and listed once per run instead of once per file, and folders are fsynced once, at the end of the run,
 * instead of after every rename.
 */
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { toLocalIOError } from '../error-wrap.js';
import { ensureParentDir } from './safe-dir.js';

export class OutputDir {
  readonly root: string;
  #parents = new Map<string, Promise<void>>();
  #listings = new Map<string, Promise<ReadonlySet<string>>>();
  #renamedInto = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  /** mkdir -p the file's folder below the root, never through a symlink (checked once per folder). */
  ensureParentDir(file: string): Promise<void> {
    const dir = dirname(file);
    let pending = this.#parents.get(dir);
    if (!pending) {
      pending = ensureParentDir(this.root, file);
      // A failure is not cached: the next file may find the problem fixed (or report it itself).
      pending.catch(() => this.#parents.delete(dir));
      this.#parents.set(dir, pending);
    }
    return pending;
  }

  /**
   * Whether a name existed in its folder when the run first looked there. pdl's own files (.part, .pdl) and
   * complete files are only ever created by the file task that owns the name, so one listing per folder
   * answers for every file in it; a missing folder lists as empty.
   */
  async mayExist(path: string): Promise<boolean> {
    const dir = dirname(path);
    let listing = this.#listings.get(dir);
    if (!listing) {
      listing = readdir(dir).then(
        (names) => new Set(names),
        (error: unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') return new Set<string>();
          throw toLocalIOError(error, dir, 'list');
        },
      );
      this.#listings.set(dir, listing);
    }
    return (await listing).has(basename(path));
  }

  /** A file was renamed into this folder: fsync it at the end of the run so the rename survives a crash. */
  renamedInto(dir: string): void {
    this.#renamedInto.add(dir);
  }

  /** fsync every folder a file was renamed into (best effort: some file systems refuse it on directories). */
  async sync(): Promise<void> {
    const dirs = [...this.#renamedInto];
    this.#renamedInto.clear();
    await Promise.all(
      dirs.map(async (dir) => {
        const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
        if (!handle) return;
        await handle.sync().catch(() => undefined);
        await handle.close().catch(() => undefined);
      }),
    );
  }
}
