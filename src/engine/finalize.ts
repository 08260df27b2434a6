/**
 * Finishing a file: the digests it must match (the job's checksum, the server's), and which to compute while it
 * downloads. A file is renamed into place only after every byte arrived and every expected digest matched.
 */
import type { ChecksumAlgorithm, ResolvedFile } from '../job/resolved.js';
import type { SourceDigest } from '../sources/source.js';
import { verifyDigests, type Digests, type ExpectedDigest } from '../verify/checksum.js';

export function expectedDigests(file: ResolvedFile, announced: readonly SourceDigest[]): ExpectedDigest[] {
  return [
    ...(file.checksum ? [{ algorithm: file.checksum.algorithm, hex: file.checksum.hex, source: 'checksum' }] : []),
    ...announced.map((d) => ({ algorithm: d.algorithm, hex: d.hex, source: d.source })),
  ];
}

export function algorithmsFor(file: ResolvedFile, announced: readonly SourceDigest[], wanted: readonly ChecksumAlgorithm[]): Set<ChecksumAlgorithm> {
  const algorithms = new Set<ChecksumAlgorithm>(wanted);
  if (file.checksum) algorithms.add(file.checksum.algorithm);
  for (const digest of announced) algorithms.add(digest.algorithm);
  return algorithms;
}

/** Throws ChecksumMismatchError when a digest differs. */
export function verifyFile(file: ResolvedFile, actual: Digests, announced: readonly SourceDigest[]): void {
  verifyDigests(actual, expectedDigests(file, announced), { url: file.displayUrl, path: file.path });
}
