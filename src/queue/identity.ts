/**
 * A shared job's identity: the queue is named after a hash of the resolved files (URLs as written, output paths,
 * checksums), so workers started with the same job meet in one queue, and an edited job file is a new queue that
 * never mixes with the old one. Paths are relative to the output root: workers may mount it in different places.
 */
import { createHash } from 'node:crypto';
import type { ResolvedFile } from '../job/resolved.js';

export function queueNameOf(files: readonly ResolvedFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))) {
    const checksum = file.checksum ? `${file.checksum.algorithm}:${file.checksum.hex}` : file.checksumList ? `${file.checksumList.algorithm}:file:${file.checksumList.displayUrl}` : '';
    // NUL cannot occur in any of these, so no two different jobs hash the same text.
    hash.update(`${file.displayUrl}\0${file.relPath}\0${checksum}\0${file.priority}\n`);
  }
  return `pdl-${hash.digest('hex').slice(0, 24)}`;
}

/** A file's job id in the queue: the same on every worker, so seeding twice adds nothing (no ':' allowed). */
export function fileJobId(relPath: string): string {
  return `f-${createHash('sha256').update(relPath, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * BullMQ serves 1 first and 0 (no priority) before everything, pdl serves the highest number first: rank the job's
 * priorities, highest = 1. Equal priorities keep the order they were added in.
 */
export function bullPriorities(files: readonly ResolvedFile[]): Map<number, number> {
  const distinct = [...new Set(files.map((file) => file.priority))].sort((a, b) => b - a);
  return new Map(distinct.map((priority, rank) => [priority, Math.min(rank + 1, 2_097_151)]));
}
