/**
 * Proof without a checksum that several mirrors serve one version of a file: the mirror serving the file announced
 * a digest of the whole file (HTTP Repr-Digest) and its size, and every other mirror announces the same. The finished
 * file is verified against that digest like any announced one, so a mirror that announces it and serves other
 * bytes is caught and named like one that fails a checksum. A digest of a content-coded body covers the encoded
 * bytes, not the file: it proves nothing (HttpSource drops those; checked again here).
 */
import type { ByteAnswer, SourceDigest } from '../source.js';

export interface DigestProof {
  digests: readonly SourceDigest[];
  size: number;
}

type Announced = Pick<ByteAnswer, 'digests' | 'size' | 'encoded'>;

/** What an answer proves others must agree with, or undefined: it has no whole-file digest or no size. */
export function digestProof(answer: Announced): DigestProof | undefined {
  if (answer.encoded || answer.size === undefined || answer.digests.length === 0) return undefined;
  return { digests: answer.digests, size: answer.size };
}

/**
 * The answer announces the same file: the same size, at least one digest in an algorithm the proof has with the
 * same value, and no digest that contradicts it.
 */
export function agreesWith(proof: DigestProof, answer: Announced): boolean {
  if (answer.encoded || answer.size !== proof.size) return false;
  let same = 0;
  for (const digest of answer.digests) {
    const mine = proof.digests.find((d) => d.algorithm === digest.algorithm);
    if (mine === undefined) continue;
    if (mine.hex !== digest.hex) return false;
    same++;
  }
  return same > 0;
}
