/**
 * How the engine meets what is already on disk and what pdl remembers (src/mirror/): two hooks. Before a file
 * starts, `before` says whether it is needed at all and how (fresh, repair, resume, only if changed); after it is
 * complete and in place, `after` is told what was learned. The engine itself knows nothing of `ifExists`, state
 * files, caches or checksum lists.
 */
import type { ChecksumAlgorithm, ResolvedFile } from '../job/resolved.js';
import type { Validators } from '../sources/source.js';
import type { ResumeState } from '../storage/resume-state.js';

export type StartDecision =
  /** The run stopped while the hook was deciding: the file is interrupted, untouched. */
  | { action: 'stopped' }
  /** Nothing to download: the file is already right (or was put in place from a verified copy). */
  | {
      action: 'done';
      outcome: 'skipped' | 'unchanged' | 'reused';
      size: number;
      sha256: string | undefined;
      reason: string;
      /** A digest the hook verified, reported like a download's. */
      verified?: { algorithm: ChecksumAlgorithm; hex: string };
    }
  | {
      action: 'download';
      /** The local copy differs from what pdl wrote: this download repairs it. */
      repair: boolean;
      /** Pick up an interrupted download from its `.part`. */
      resume?: ResumeState;
      /** Download only if the remote differs from this version; otherwise the file is `unchanged`. */
      unlessUnchanged?: { size: number; validators: Validators; sha256: string | undefined };
      /**
       * The hook did not look for a `.part` on disk (the folder listing had none): the engine creates it exclusively,
       * which is the look, and asks again with `lookOnDisk` when one is there after all.
       */
      partUnseen?: boolean;
      /** The hook found no control file in its folder listing, or removed it: none to remove at the end (unless the claim took a dead holder's over). */
      noControlFile?: boolean;
    };

/** What the engine learned about a file it completed. */
export interface Learned {
  /** Where the source's redirects ended, when it is not the URL as given. */
  finalUrl: string | undefined;
  validators: Validators;
  size: number;
  /** Present when `digestsWanted` asked for it, or the file had a sha256 checksum. */
  sha256: string | undefined;
}

export interface FileHooks {
  /**
   * Decide what the file needs; throw (a PdlError) to fail it before any request. `claim` takes this process's
   * claim on the path (it throws when another live process holds it): call it before touching anything beside
   * the file (`.part`, control file) or writing the file. The engine claims before a download anyway.
   */
  before(file: ResolvedFile, signal: AbortSignal, claim: () => Promise<void>, options?: { lookOnDisk?: boolean }): Promise<StartDecision>;
  /** Digests the hooks need of every downloaded file, besides those the file's checksum and server name. */
  digestsWanted(file: ResolvedFile): readonly ChecksumAlgorithm[];
  /** The file is complete, verified and in place. A failure here is a note, never a failed file. */
  after(file: ResolvedFile, learned: Learned): Promise<void>;
}

/** Hooks for a plain transfer: every file downloaded fresh, nothing remembered. */
export const NO_HOOKS: FileHooks = {
  before: async () => ({ action: 'download', repair: false }),
  digestsWanted: () => [],
  after: async () => undefined,
};
