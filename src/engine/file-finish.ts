/**
 * The ends of a file, with no connection left: complete (verify, rename into place, tell the hooks), failed (keep
 * the `.part` for a rerun unless its bytes are wrong), interrupted (save progress). Each settles the file's report.
 */
import { dirname } from 'node:path';
import { ChecksumMismatchError, type PdlError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import type { ResolvedFile } from '../job/resolved.js';
import type { ByteSource } from '../sources/source.js';
import type { OutputDir } from '../storage/output-dir.js';
import type { DoneOutcome, EngineEmitter } from './events.js';
import type { Remote } from './file-phase.js';
import type { FileReport } from './file-report.js';
import { verifyFile } from './finalize.js';
import type { FileHooks } from './hooks.js';
import type { PartProgress } from './part-progress.js';

export interface FinishContext {
  file: ResolvedFile;
  part: PartProgress;
  report: FileReport;
  events: EngineEmitter;
  output: OutputDir;
  hooks: FileHooks;
  source: ByteSource;
}

/** A checksum mismatch the caller answers by starting the file again: its own one retry, or the source's next place. */
export interface Mismatch {
  error: ChecksumMismatchError;
  why: 'checksum' | 'moved';
  /** What the source does next, for the log. */
  next: string | undefined;
}

/**
 * Every byte is there: verify, then rename into place. Returns the mismatch instead of finishing when a digest
 * differs and the source has another place to fetch from, or `mayRetry` (the caller starts the file again);
 * otherwise a mismatch fails the file (thrown).
 */
export async function finishComplete(c: FinishContext, remote: Remote, outcome: DoneOutcome, mayRetry: boolean): Promise<Mismatch | undefined> {
  const { file, part } = c;
  await part.settled();
  const size = remote.size!;
  const digests = await part.digests(size);
  try {
    verifyFile(file, digests, remote.digests);
  } catch (error) {
    if (!(error instanceof ChecksumMismatchError)) throw error;
    const next = c.source.rejected?.();
    if (next !== undefined) return { error, why: 'moved', next };
    if (mayRetry) return { error, why: 'checksum', next: undefined };
    await part.discard();
    throw error;
  }
  c.source.verified?.();
  if (file.checksum) c.events.emit('file:verified', { ...c.report.ref, algorithm: file.checksum.algorithm, hex: file.checksum.hex });
  await part.commit();
  c.output.renamedInto(dirname(file.path));
  await c.hooks
    .after(file, { finalUrl: c.source.finalUrl, validators: remote.validators, size, sha256: digests.sha256 })
    .catch((error: unknown) => c.events.emit('run:note', { message: `${file.relPath}: ${error instanceof Error ? error.message : String(error)}` }));
  c.report.done({ outcome, size, sha256: digests.sha256, reason: undefined });
  return undefined;
}

export async function finishFailed(c: FinishContext, error: PdlError, remote: Remote | undefined): Promise<void> {
  // Keep what arrived for a rerun, unless the bytes themselves are wrong.
  await c.part.keepOrDiscard(remote, error.kind !== 'integrity');
  c.report.failed(error, remote?.size, c.part.completedBytes);
}

export async function finishInterrupted(c: FinishContext, remote: Remote | undefined): Promise<void> {
  let resumable: boolean;
  try {
    resumable = await c.part.keepForRerun(remote);
  } catch (error) {
    return finishFailed(c, toLocalIOError(error, c.part.controlPath, 'save progress to'), remote);
  }
  c.report.interrupted(remote?.size, c.part.completedBytes, resumable);
}
