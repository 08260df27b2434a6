/**
 * What to do with a file before any request: `ifExists` against what is on disk. Nothing the user already had is
 * touched unless they asked (`overwrite`, or `newer` and the server has another version); a .part is trusted only
 * with a readable control file that matches.
 */
import type { Stats } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { ChecksumMismatchError, LocalIOError } from '../errors.js';
import { withMessage, toLocalIOError } from '../error-wrap.js';
import type { ResolvedFile } from '../job/resolved.js';
import type { MirrorEntry } from '../storage/mirror-state.js';
import type { OutputDir } from '../storage/output-dir.js';
import { PartFile } from '../storage/part-file.js';
import { lstatIfPresent } from '../storage/quiet-lstat.js';
import { controlPathOf, readResumeState, removeResumeState, type ResumeState } from '../storage/resume-state.js';
import { hashFile } from '../verify/checksum.js';
import { isKnownToPdl } from './existing-file.js';
import { decideNewer, type NewerDecision } from './newer.js';
import { findReusable, type ReuseCandidate, type ReuseSources } from './reuse.js';

export type Preparation =
  | { action: 'skip'; reason: string; size: number; sha256: string | undefined }
  /** A present file pdl cannot vouch for (see existing-file.ts): kept only if the server's file has its size. */
  | { action: 'compare-size'; size: number }
  /** `partUnseen`: no `.part` was listed and none was looked for since the claim (the caller's exclusive create looks). */
  | { action: 'fresh'; note: string | undefined; repair?: boolean; partUnseen?: boolean }
  | { action: 'resume'; state: ResumeState }
  /** The declared sha256 content is already on disk elsewhere (verified): link it instead of downloading. */
  | { action: 'reuse'; candidate: ReuseCandidate; repair: boolean }
  | NewerDecision;

export interface PrepareOptions {
  /** `pdl plan`: decide only — never remove an untrusted .part or a stale control file. */
  readOnly?: boolean;
  /** Where a copy of the file's declared sha256 content may already be (see reuse.ts). */
  reuse?: ReuseSources;
  /**
   * Claim the path for this process (storage/file-claim.ts): called before anything beside the file is read,
   * removed or decided, so that a .part another live process is writing is never touched. Throws when it is claimed.
   */
  claim?: () => Promise<void>;
  /** The caller holds the claim already: look on disk, not in the folder listing (see below). */
  claimed?: boolean;
  /** Look for the `.part` on disk even when the listing had none (the caller found one there). */
  lookOnDisk?: boolean;
}

/** `entry`: what the state file says pdl last wrote to this path (`newer` asks the server with it; `resume`/`skip` trust it). */
export async function prepareFile(file: ResolvedFile, output: OutputDir, entry?: MirrorEntry, options: PrepareOptions = {}): Promise<Preparation> {
  const discard = options.readOnly ? async () => undefined : discardPart;
  let claimed = options.claimed === true;
  // The folder listing is from before the claim: another process may have finished, or left, files there since.
  const statNoFollow = (path: string) => statIfListed(claimed ? undefined : output, path);
  const existing = await statNoFollow(file.path);
  if (existing && existing !== 'file') {
    throw new LocalIOError(`${file.path} exists and is ${existing === 'link' ? 'a symbolic link' : 'not a regular file'}`, { path: file.path, url: file.displayUrl });
  }
  // `newer` keeps the file until a new version is complete; a .part beside it is a replacement cut short, dropped
  // below rather than resumed (it may be of a version older than the one the server has now).
  const newer = existing === 'file' && file.ifExists === 'newer' ? await decideNewer(file, entry) : undefined;
  if (existing === 'file' && file.ifExists !== 'overwrite' && !newer) {
    if (file.ifExists === 'fail') {
      throw new LocalIOError(`${file.path} already exists (ifExists: fail)`, { path: file.path, url: file.displayUrl });
    }
    return await keepExisting(file, entry);
  }
  const partPath = PartFile.partPathOf(file.path);
  const controlPath = controlPathOf(file.path);
  let partUnseen = false;
  if (options.claim) {
    await options.claim();
    claimed = true;
    // Finished by another process since the first look: judge the file that is there now.
    if (!existing && (await statNoFollow(file.path))) return await prepareFile(file, output, entry, { ...options, claim: undefined, claimed });
    // A plain fresh download where the listing had no `.part`: the caller creates it exclusively, and that is the look
    // on disk (one left since the listing comes back here with lookOnDisk).
    partUnseen = !options.lookOnDisk && !newer && !(await output.mayExist(partPath));
  }
  const lookForPart = async () => {
    const kind = await statNoFollow(partPath);
    if (kind === 'link' || kind === 'other') {
      throw new LocalIOError(`${partPath} is ${kind === 'link' ? 'a symbolic link' : 'not a regular file'}; remove it`, { path: partPath, url: file.displayUrl });
    }
    return kind;
  };
  let part = partUnseen ? undefined : await lookForPart();
  // Only now, when the final path may be (re)written: a verified copy beats any download, a resumed one included.
  const replaceable = newer === undefined || newer.action === 'fresh';
  const candidate = options.reuse && replaceable ? await findReusable(file, options.reuse) : undefined;
  if (candidate) {
    // Linking a copy into place leaves no exclusive create to look for a `.part`: look now.
    if (partUnseen) part = await lookForPart();
    if (part === 'file') await discard(partPath, controlPath);
    else if (!options.readOnly && (await output.mayExist(controlPath))) await removeResumeState(controlPath);
    return { action: 'reuse', candidate, repair: newer?.action === 'fresh' && newer.repair };
  }
  if (file.ifExists !== 'overwrite' && !newer && part === 'file') {
    const read = await readResumeState(controlPath);
    // pdl only writes control files for ranged downloads of known size; anything else cannot be resumed.
    const usable = read.status === 'ok' && read.state.ranges && read.state.size !== undefined;
    if (usable && read.state.url === file.displayUrl) return { action: 'resume', state: read.state };
    const why = read.status === 'ok' ? (usable ? 'its URL changed' : 'it does not describe a resumable download') : read.status === 'missing' ? 'no control file' : `control file unreadable: ${read.reason}`;
    await discard(partPath, controlPath);
    return { action: 'fresh', note: `discarded an untrusted ${partPath} (${why})` };
  }
  if (part === 'file') await discard(partPath, controlPath);
  else if (!options.readOnly && (await output.mayExist(controlPath))) await removeResumeState(controlPath);
  return newer ?? { action: 'fresh', note: undefined, ...(partUnseen ? { partUnseen } : {}) };
}

/** A file is already there: verify it when a checksum is given, never replace it silently. */
async function keepExisting(file: ResolvedFile, entry: MirrorEntry | undefined): Promise<Preparation> {
  const stats = await lstat(file.path);
  if (!file.checksum) {
    if (isKnownToPdl(file, entry, stats.size)) return { action: 'skip', reason: 'already present', size: stats.size, sha256: undefined };
    return { action: 'compare-size', size: stats.size };
  }
  const wanted = file.checksum.algorithm;
  const algorithms = wanted === 'sha256' ? ['sha256' as const] : [wanted, 'sha256' as const];
  const digests = await hashFile(file.path, algorithms);
  const actual = digests[wanted] ?? '';
  if (actual !== file.checksum.hex) {
    const error = new ChecksumMismatchError(wanted, file.checksum.hex, actual, { url: file.displayUrl, path: file.path, source: 'existing file checksum' });
    throw withMessage(error, `${error.message} (${file.relPath} is left as it is; set ifExists: overwrite to replace it)`);
  }
  return { action: 'skip', reason: 'already present, checksum verified', size: stats.size, sha256: digests.sha256 };
}

async function discardPart(partPath: string, controlPath: string): Promise<void> {
  try {
    await unlink(partPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw toLocalIOError(error, partPath, 'remove');
  }
  await removeResumeState(controlPath);
}

/** lstat, skipped for names the folder listing (taken once per run) does not have; without `output`, always. */
async function statIfListed(output: OutputDir | undefined, path: string): Promise<'file' | 'link' | 'other' | undefined> {
  if (output && !(await output.mayExist(path))) return undefined;
  let stats: Stats | undefined;
  try {
    stats = await lstatIfPresent(path);
  } catch (error) {
    throw toLocalIOError(error, path, 'inspect');
  }
  if (stats === undefined) return undefined;
  if (stats.isSymbolicLink()) return 'link';
  return stats.isFile() ? 'file' : 'other';
}
