/**
 * Reuse instead of download: a file whose job declares a sha256 may already exist elsewhere — under another name in
 * the same output root (as the state file records) or in the job's `cache:` folder (`<cache>/sha256/<hex>`). Such a
 * copy is hard-linked (or copied, across file systems) to `<path>.part` and renamed into place, so the final path
 * never holds unverified bytes. Every candidate is hashed before it is trusted: the state file and a cache file's
 * name are claims, and a copy edited since must not stand in for the real thing.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { toLocalIOError } from '../error-wrap.js';
import { checkRelativePath, outputPath } from '../job/paths.js';
import type { ResolvedFile } from '../job/resolved.js';
import type { MirrorState } from '../storage/mirror-state.js';
import { PartFile } from '../storage/part-file.js';
import { LINKS_UNSUPPORTED } from '../storage/small-file.js';
import { hashFile } from '../verify/checksum.js';

/** Where copies of known content may be found. */
export interface ReuseSources {
  /** The output root. */
  root: string;
  /** The root's state file (read only here): which relPaths hold which sha256. */
  known: MirrorState | undefined;
  /** Absolute cache folder, or undefined. */
  cache: string | undefined;
}

export interface ReuseCandidate {
  /** Absolute path of a regular file whose bytes were just verified to hash to the file's sha256. */
  source: string;
  /** What reports show: a relPath in the root, or `cache:sha256/<hex>`. */
  label: string;
  size: number;
}

/** Bounds the hashing a crafted or stale state file can cause for one file. */
const MAX_CANDIDATES = 8;

export function cachePathOf(cache: string, sha256: string): string {
  return join(cache, 'sha256', sha256);
}

/** A verified copy of the file's declared sha256 content, or undefined (no sha256 checksum, nothing found). */
export async function findReusable(file: ResolvedFile, sources: ReuseSources): Promise<ReuseCandidate | undefined> {
  if (file.checksum?.algorithm !== 'sha256') return undefined;
  const hex = file.checksum.hex;
  const candidates: Array<{ path: string; label: string }> = [];
  for (const relPath of sources.known?.pathsWithSha256(hex) ?? []) {
    // The state file is not trusted to name paths inside the root.
    const checked = checkRelativePath(relPath);
    const path = checked.ok ? outputPath(sources.root, checked.path) : undefined;
    if (path !== undefined && path !== file.path) candidates.push({ path, label: relPath });
  }
  if (sources.cache !== undefined) candidates.push({ path: cachePathOf(sources.cache, hex), label: `cache:sha256/${hex}` });
  for (const candidate of candidates.slice(0, MAX_CANDIDATES)) {
    const size = await regularFileSize(candidate.path);
    if (size === undefined) continue;
    const digests = await hashFile(candidate.path, ['sha256']).catch(() => undefined);
    if (digests?.sha256 === hex) return { source: candidate.path, label: candidate.label, size };
  }
  return undefined;
}

/**
 * Put the candidate's bytes at `file.path`: hard link to the .part (a copy when the link is refused: another file
 * system, or links not allowed), verify a copy, then rename. Returns how the bytes got there.
 */
export async function reuseInto(file: ResolvedFile, candidate: ReuseCandidate, sha256: string): Promise<'linked' | 'copied'> {
  const partPath = PartFile.partPathOf(file.path);
  await rm(partPath, { force: true }).catch((error: unknown) => Promise.reject(toLocalIOError(error, partPath, 'remove')));
  const how = await linkOrCopy(candidate.source, partPath);
  if (how === 'copied') {
    const digests = await hashFile(partPath, ['sha256']);
    if (digests.sha256 !== sha256) {
      await rm(partPath, { force: true }).catch(() => undefined);
      throw toLocalIOError(new Error(`the copy of ${candidate.source} does not hash to ${sha256}`), partPath, 'reuse');
    }
  }
  try {
    await rename(partPath, file.path);
  } catch (error) {
    await rm(partPath, { force: true }).catch(() => undefined);
    throw toLocalIOError(error, file.path, 'rename into');
  }
  // rename() between two links of one inode succeeds without doing anything: the .part would stay behind.
  await rm(partPath, { force: true }).catch(() => undefined);
  return how;
}

/**
 * Store a completed, verified file in the cache as `<cache>/sha256/<hex>` so later jobs can reuse it. A link costs
 * no space; across file systems it is a copy. An entry already there is left alone (it is verified when used).
 */
export async function storeInCache(cache: string, path: string, sha256: string): Promise<void> {
  const target = cachePathOf(cache, sha256);
  if ((await regularFileSize(target)) !== undefined) return;
  const folder = join(cache, 'sha256');
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw toLocalIOError(error, folder, 'create the cache folder');
  }
  // Through a temporary name: a reader never sees a half-copied entry under its final name.
  const temp = `${target}.${randomUUID()}.tmp`;
  try {
    await linkOrCopy(path, temp);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw toLocalIOError(error, target, 'store in the cache');
  }
}

async function linkOrCopy(source: string, target: string): Promise<'linked' | 'copied'> {
  try {
    await link(source, target);
    return 'linked';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // EMLINK: the cached copy has as many names as it can have; a copy of it instead.
    if (!LINKS_UNSUPPORTED.has(code ?? '') && code !== 'EMLINK') throw toLocalIOError(error, target, 'link');
  }
  try {
    await copyFile(source, target, constants.COPYFILE_EXCL);
  } catch (error) {
    throw toLocalIOError(error, target, 'copy to');
  }
  return 'copied';
}

/** Size of a regular file (never through a symlink), or undefined. */
async function regularFileSize(path: string): Promise<number | undefined> {
  try {
    const stats = await lstat(path);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}
