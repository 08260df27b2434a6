/**
 * Hashing on arrival: while a file's bytes reach the disk in order from its first byte, they are hashed on the main
 * thread as they are handed to the disk. A small file then costs no hash-worker round trip (four messages, each
 * waking a thread) and no second read of its bytes — per-file work is what a batch of small files pays for.
 *
 * Large files still hash on the worker (checksum.ts), on the second core: once more than `limit` bytes arrived, or a
 * write lands anywhere but right after the bytes hashed so far (ranges in parallel, a resumed file, a rewrite), the
 * job hands over to a worker job, which hashes the file from its first byte as it stands on disk. That also covers a
 * failed write: what is on disk may differ from what was offered, so the disk is read instead.
 */
import { createHash, type Hash } from 'node:crypto';
import { LocalIOError } from '../errors.js';
import type { ChecksumAlgorithm } from '../job/resolved.js';
import { hashService, type Digests, type HashJob } from './checksum.js';

/** Main-thread hashing costs about 1.1 ms per MiB; beyond this the worker's fixed cost is the smaller one. */
export const ARRIVAL_HASH_LIMIT = 1024 * 1024;

export interface ArrivalHashJob extends HashJob {
  /** `chunks` (`length` bytes in total) are being written at `position`; they must not change afterwards. */
  offer(chunks: readonly Buffer[], length: number, position: number): void;
  /** A write failed: the bytes on disk are not known to be the ones offered. */
  spoil(): void;
}

type OpenWorkerJob = (path: string, algorithms: readonly ChecksumAlgorithm[]) => HashJob;

export function openArrivalHash(
  path: string,
  algorithms: readonly ChecksumAlgorithm[],
  options: { limit?: number; openWorkerJob?: OpenWorkerJob } = {},
): ArrivalHashJob {
  const limit = options.limit ?? ARRIVAL_HASH_LIMIT;
  const openWorkerJob = options.openWorkerJob ?? ((p, a) => hashService.open(p, a));
  const unique = [...new Set(algorithms)];
  /** Defined while hashing on arrival; undefined once handed over (or aborted). */
  let hashes: Array<[ChecksumAlgorithm, Hash]> | undefined = unique.map((alg) => [alg, createHash(alg)]);
  let hashed = 0;
  let target = 0;
  let worker: HashJob | undefined;
  let aborted = false;
  let finishing: Promise<Digests> | undefined;

  const handOver = (): HashJob => {
    if (worker === undefined) {
      hashes = undefined;
      worker = openWorkerJob(path, unique);
      if (target > 0) worker.advance(target);
    }
    return worker;
  };

  return {
    offer(chunks, length, position) {
      if (hashes === undefined || aborted) return;
      if (position !== hashed || hashed + length > limit) {
        handOver();
        return;
      }
      for (const [, hash] of hashes) for (const chunk of chunks) hash.update(chunk);
      hashed += length;
    },
    spoil() {
      if (hashes !== undefined && !aborted) handOver();
    },
    advance(prefixEnd) {
      if (aborted || !(prefixEnd > target)) return;
      target = prefixEnd;
      worker?.advance(prefixEnd);
    },
    finish(size) {
      if (finishing !== undefined) return finishing;
      finishing = finishNow(size);
      return finishing;
    },
    abort() {
      aborted = true;
      hashes = undefined;
      worker?.abort();
    },
  };

  function finishNow(size: number): Promise<Digests> {
    if (aborted) return Promise.reject(new LocalIOError(`cannot hash ${path}: aborted`, { path }));
    // Every write has completed when finish is called: the bytes offered are the bytes on disk.
    if (hashes !== undefined && hashed === size) {
      const digests: Digests = {};
      for (const [alg, hash] of hashes) digests[alg] = hash.digest('hex');
      hashes = undefined;
      return Promise.resolve(digests);
    }
    const job = handOver();
    job.advance(size);
    return job.finish(size);
  }
}
