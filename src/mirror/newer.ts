/**
 * `ifExists: newer` before any request: is the local copy still the one pdl wrote, and what may we ask the server?
 * The state file is only a cache of what pdl learned; the local bytes are checked against it (size, sha256)
 * before its validators are used, so an edited or truncated file is never declared "unchanged" by a 304.
 */
import { lstat } from 'node:fs/promises';
import { toLocalIOError } from '../error-wrap.js';
import type { ChecksumAlgorithm, ResolvedFile } from '../job/resolved.js';
import { maskSecrets } from '../job/resolved.js';
import type { MirrorEntry } from '../storage/mirror-state.js';
import { hashFile } from '../verify/checksum.js';
import type { Validators } from '../sources/source.js';

export type NewerDecision =
  /** Current without asking: it matches the job's checksum. */
  | { action: 'unchanged'; reason: string; size: number; sha256: string | undefined }
  /** The local copy is what pdl last wrote: ask the server whether it changed since. */
  | { action: 'conditional'; entry: MirrorEntry }
  /** Download again and replace atomically; `repair` when the local copy differs from what pdl wrote. */
  | { action: 'fresh'; note: string | undefined; repair: boolean };

export async function decideNewer(file: ResolvedFile, entry: MirrorEntry | undefined): Promise<NewerDecision> {
  let size: number;
  try {
    size = (await lstat(file.path)).size;
  } catch (error) {
    throw toLocalIOError(error, file.path, 'inspect');
  }
  const sizeMatches = entry !== undefined && entry.size === size;
  const algorithms = new Set<ChecksumAlgorithm>();
  if (file.checksum) algorithms.add(file.checksum.algorithm);
  // Reading the file costs a pass over it, but a copy with the recorded size and other bytes is exactly the
  // damage (a partial overwrite, a bad sector) a mirror must not answer "unchanged" for.
  if (file.checksum || sizeMatches) algorithms.add('sha256');
  const digests = algorithms.size > 0 ? await hashFile(file.path, [...algorithms]) : {};

  if (file.checksum && digests[file.checksum.algorithm] === file.checksum.hex) {
    return { action: 'unchanged', reason: 'verified, unchanged', size, sha256: digests.sha256 };
  }
  if (!entry) return { action: 'fresh', note: undefined, repair: false };
  if (!sizeMatches || digests.sha256 !== entry.sha256) {
    const what = sizeMatches ? 'its content' : `its size (${size} bytes, ${entry.size} written)`;
    return { action: 'fresh', note: `${file.relPath} changed locally since pdl wrote it (${what}); downloading it again`, repair: true };
  }
  // What pdl wrote, but the job now asks for other bytes (a new checksum) or another URL: a 304 would be no answer.
  if (file.checksum) return { action: 'fresh', note: undefined, repair: false };
  if (entry.url !== file.displayUrl) return { action: 'fresh', note: undefined, repair: false };
  // A URL with ${VAR}s can name another resource with the same spelling (the value changed): a 304 about "this URL"
  // would then be an answer about the wrong file. The record holds no expanded values, so fetch such files again.
  if (file.url !== file.displayUrl) return { action: 'fresh', note: undefined, repair: false };
  if (!entry.etag && !entry.lastModified) return { action: 'fresh', note: undefined, repair: false };
  return { action: 'conditional', entry };
}

/** What to remember about a file pdl just completed. */
export function mirrorEntryOf(
  file: ResolvedFile,
  done: { finalUrl: string; validators: Validators; size: number; sha256: string },
): MirrorEntry {
  return {
    url: file.displayUrl,
    finalUrl: storableFinalUrl(file, done.finalUrl),
    etag: done.validators.etag,
    lastModified: done.validators.lastModified,
    size: done.size,
    sha256: done.sha256,
    completedAt: new Date().toISOString(),
  };
}

/**
 * Where redirects ended, for people reading the state file. Query and fragment are dropped: signed CDN URLs carry
 * their credentials there even when they are not the job's ${VAR} secrets. Kept only when no secret remains.
 */
function storableFinalUrl(file: ResolvedFile, finalUrl: string): string | undefined {
  if (finalUrl === file.url) return undefined;
  let url: URL;
  try {
    url = new URL(finalUrl);
  } catch {
    return undefined;
  }
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  // Another host (a CDN) may carry its signature in the path, and the lock file is committed: keep same-host only.
  if (url.host !== new URL(file.url).host) return undefined;
  const bare = url.href;
  return bare !== file.displayUrl && maskSecrets(bare, file.secrets) === bare ? bare : undefined;
}
