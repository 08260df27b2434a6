/**
 * The engine's before/after hooks for a job: `ifExists` against what is on disk, what the output folder's state
 * file remembers (`newer`), verified copies to reuse, files whose checksum list could not vouch for them — and,
 * after a download, what to remember and what to keep in the cache.
 */
import { dirname } from 'node:path';
import type { PdlError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import { STOPPED, type RetryInfo } from '../engine/retry-loop.js';
import type { ByteSource } from '../sources/source.js';
import { compareWithServer } from './existing-file.js';
import type { FileHooks, Learned, StartDecision } from '../engine/hooks.js';
import type { ChecksumAlgorithm, ResolvedFile } from '../job/resolved.js';
import type { MirrorState } from '../storage/mirror-state.js';
import type { OutputDir } from '../storage/output-dir.js';
import { mirrorEntryOf } from './newer.js';
import { prepareFile } from './prepare.js';
import { reuseInto, storeInCache, type ReuseCandidate, type ReuseSources } from './reuse.js';

export interface MirrorHooksOptions {
  output: OutputDir;
  /** The output folder's state file, when this run keeps it current. */
  mirror: MirrorState | undefined;
  reuse: ReuseSources;
  /** By file index: files that fail as soon as they start (their checksum list has no line for them …). */
  failAtStart: ReadonlyMap<number, PdlError>;
  /** Something worth telling that is not a failure (a cache that could not take a file). */
  note(message: string): void;
  /** Where a file's bytes come from (asked for the size of a present file pdl cannot vouch for). */
  source(file: ResolvedFile): ByteSource;
  /** A question to the server is retried. */
  retried(file: ResolvedFile, info: RetryInfo): void;
}

export class MirrorHooks implements FileHooks {
  readonly #o: MirrorHooksOptions;

  constructor(options: MirrorHooksOptions) {
    this.#o = options;
  }

  async before(file: ResolvedFile, signal: AbortSignal, claim: () => Promise<void>, options?: { lookOnDisk?: boolean }): Promise<StartDecision> {
    const early = this.#o.failAtStart.get(file.index);
    if (early) throw early;
    const lookOnDisk = options?.lookOnDisk === true;
    const prep = await prepareFile(file, this.#o.output, this.#o.mirror?.get(file.relPath), { reuse: this.#o.reuse, claim, claimed: lookOnDisk, lookOnDisk });
    switch (prep.action) {
      case 'skip':
        return { action: 'done', outcome: 'skipped', size: prep.size, sha256: prep.sha256, reason: prep.reason };
      case 'compare-size': {
        const reason = await compareWithServer(file, prep.size, { source: this.#o.source(file), signal, onRetry: (info) => this.#o.retried(file, info) });
        // Stopped while asking: the file is not started (a rerun asks again).
        if (reason === STOPPED) return { action: 'stopped' };
        return { action: 'done', outcome: 'skipped', size: prep.size, sha256: undefined, reason };
      }
      case 'unchanged':
        return { action: 'done', outcome: 'unchanged', size: prep.size, sha256: prep.sha256, reason: prep.reason };
      case 'reuse':
        return this.#reuse(file, prep.candidate, prep.repair);
      case 'conditional': {
        const { entry } = prep;
        return { action: 'download', repair: false, unlessUnchanged: { size: entry.size, sha256: entry.sha256, validators: { etag: entry.etag, lastModified: entry.lastModified } } };
      }
      case 'resume':
        return { action: 'download', repair: false, resume: prep.state };
      case 'fresh':
        // prepare.ts removed any control file its folder listing showed before deciding 'fresh' (the engine still
        // removes one at the end if its claim took a dead holder's over: that one may have left one since the listing).
        return { action: 'download', repair: prep.repair === true, noControlFile: true, ...('partUnseen' in prep && prep.partUnseen ? { partUnseen: true } : {}) };
    }
  }

  digestsWanted(): readonly ChecksumAlgorithm[] {
    // The state file records sha256, so `newer` can tell a damaged local copy from the one pdl wrote.
    return this.#o.mirror || this.#o.reuse.cache !== undefined ? ['sha256'] : [];
  }

  async after(file: ResolvedFile, learned: Learned): Promise<void> {
    if (learned.sha256 === undefined) return;
    this.#o.mirror?.record(file.relPath, mirrorEntryOf(file, { finalUrl: learned.finalUrl ?? file.url, validators: learned.validators, size: learned.size, sha256: learned.sha256 }));
    await this.#storeInCache(file, learned.sha256);
  }

  /** Link (or copy) a verified local copy into place instead of downloading; no request is made. */
  async #reuse(file: ResolvedFile, candidate: ReuseCandidate, repair: boolean): Promise<StartDecision> {
    const sha256 = file.checksum!.hex;
    try {
      await this.#o.output.ensureParentDir(file.path);
    } catch (error) {
      throw toLocalIOError(error, file.path, 'create the folder of');
    }
    const how = await reuseInto(file, candidate, sha256);
    this.#o.output.renamedInto(dirname(file.path));
    this.#o.mirror?.record(file.relPath, mirrorEntryOf(file, { finalUrl: file.url, validators: { etag: undefined, lastModified: undefined }, size: candidate.size, sha256 }));
    await this.#storeInCache(file, sha256);
    const reason = `${how === 'linked' ? 'hard-linked' : 'copied'} from ${candidate.label}${repair ? ', replacing a locally changed copy' : ''}`;
    return { action: 'done', outcome: 'reused', size: candidate.size, sha256, reason, verified: { algorithm: 'sha256', hex: sha256 } };
  }

  /** Keep a completed file for later jobs; a cache that cannot take it is worth a note, never a failed file. */
  async #storeInCache(file: ResolvedFile, sha256: string): Promise<void> {
    const cache = this.#o.reuse.cache;
    if (cache === undefined) return;
    await storeInCache(cache, file.path, sha256).catch((error: unknown) =>
      this.#o.note(`${file.relPath} not stored in the cache: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}
