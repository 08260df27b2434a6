/**
 * Checksums computed while the download runs. One shared worker thread (hash-worker.ts) hashes every file's
 * written prefix as it grows, so hashing overlaps the transfer on the second core instead of following it.
 *
 * The worker is started on first use and unref'd unless some `finish()` is being awaited: it never keeps the
 * process alive on its own, yet a lone `await hashFile(...)` still completes. `closeHashService()` ends it.
 */

import { stat } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { ChecksumMismatchError, LocalIOError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import type { ChecksumAlgorithm } from '../job/resolved.js';
import type { FromWorker, ToWorker } from './hash-worker.js';

/** Lower-case hex digest per algorithm name. */
export type Digests = Record<string, string>;

export interface HashJob {
  /** Bytes [0, prefixEnd) are written (the writes completed) and may be hashed. Cheap; call as often as you like. */
  advance(prefixEnd: number): void;
  /** Resolves once bytes [0, size) are hashed. Rejects with LocalIOError if the file vanished or is short. */
  finish(size: number): Promise<Digests>;
  /** Stop hashing and forget the job; the file may be deleted afterwards. A pending finish() rejects. */
  abort(): void;
}

export interface ExpectedDigest {
  algorithm: ChecksumAlgorithm;
  hex: string;
  /** Where the expectation came from, named in the error: 'checksum', 'Repr-Digest', … */
  source: string;
}

interface JobState {
  path: string;
  /** Highest prefix reported by the caller, and the highest one sent to the worker. */
  target: number;
  sent: number;
  /** An 'advance' awaits its ack: later advances only raise `target` (coalesced). */
  inFlight: boolean;
  error: LocalIOError | undefined;
  finishing: Promise<Digests> | undefined;
  settle: { resolve: (d: Digests) => void; reject: (e: LocalIOError) => void } | undefined;
}

class HashService {
  #worker: Worker | undefined;
  readonly #jobs = new Map<number, JobState>();
  #nextId = 1;
  /** finish() calls not yet settled; while > 0 the worker is ref'd. */
  #waiting = 0;

  /** Start hashing `filePath` (which must exist already) with each algorithm. */
  open(filePath: string, algorithms: readonly ChecksumAlgorithm[]): HashJob {
    const id = this.#nextId++;
    const job: JobState = { path: filePath, target: 0, sent: 0, inFlight: false, error: undefined, finishing: undefined, settle: undefined };
    this.#jobs.set(id, job);
    this.#post({ type: 'open', id, path: filePath, algorithms: [...new Set(algorithms)] });

    return {
      advance: (prefixEnd) => {
        if (!(prefixEnd > job.target) || !this.#jobs.has(id)) return;
        job.target = prefixEnd;
        if (!job.inFlight) this.#sendAdvance(id, job);
      },
      finish: (size) => {
        if (job.finishing !== undefined) return job.finishing;
        if (job.error !== undefined) return (job.finishing = Promise.reject(job.error));
        if (!this.#jobs.has(id)) return (job.finishing = Promise.reject(stopped(job, 'aborted')));
        job.finishing = new Promise<Digests>((resolve, reject) => {
          job.settle = { resolve, reject };
        });
        if (++this.#waiting === 1) this.#worker?.ref();
        this.#post({ type: 'finish', id, size });
        return job.finishing;
      },
      abort: () => {
        if (!this.#jobs.has(id)) return;
        this.#post({ type: 'abort', id });
        this.#settle(id, stopped(job, 'aborted'));
      },
    };
  }

  /** Terminate the worker; unfinished jobs fail. The next `open` starts a new worker. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll('the hash service was closed');
    if (worker !== undefined) await worker.terminate();
  }

  #sendAdvance(id: number, job: JobState): void {
    job.inFlight = true;
    job.sent = job.target;
    this.#post({ type: 'advance', id, end: job.target });
  }

  #post(message: ToWorker): void {
    this.#start().postMessage(message);
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    // No inherited node flags: the worker needs none, and some (`--input-type` with `-e`) make it fail to start.
    // Loaded on first use: node:worker_threads costs 5–9 ms of start-up, and most runs of small files never start the worker.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url), { execArgv: [] });
    worker.on('message', (message: FromWorker) => this.#onMessage(message));
    worker.on('error', (error) => {
      if (this.#worker === worker) this.#failAll(`the hash worker failed: ${error.message}`);
    });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#failAll('the hash worker exited unexpectedly');
    });
    // Only after the listeners: adding a 'message' listener refs the worker's port again.
    if (this.#waiting === 0) worker.unref();
    this.#worker = worker;
    return worker;
  }

  #onMessage(message: FromWorker): void {
    const job = this.#jobs.get(message.id);
    if (job === undefined) return;
    switch (message.type) {
      case 'ack':
        job.inFlight = false;
        if (job.target > job.sent) this.#sendAdvance(message.id, job);
        return;
      case 'done':
        return this.#settle(message.id, message.digests);
      case 'error': {
        const cause = Object.assign(new Error(message.message), { code: message.code });
        return this.#settle(message.id, toLocalIOError(cause, job.path, 'hash'));
      }
    }
  }

  /** Forget job `id`, resolving or rejecting its finish() — or keeping the error for a later finish(). */
  #settle(id: number, outcome: Digests | LocalIOError): void {
    const job = this.#jobs.get(id);
    if (job === undefined) return;
    this.#jobs.delete(id);
    if (outcome instanceof LocalIOError) job.error = outcome;
    const settle = job.settle;
    if (settle === undefined) return;
    job.settle = undefined;
    if (--this.#waiting === 0) this.#worker?.unref();
    if (outcome instanceof LocalIOError) settle.reject(outcome);
    else settle.resolve(outcome);
  }

  #failAll(reason: string): void {
    this.#worker = undefined;
    for (const [id, job] of [...this.#jobs]) this.#settle(id, stopped(job, reason));
  }
}

function stopped(job: JobState, reason: string): LocalIOError {
  return new LocalIOError(`cannot hash ${job.path}: ${reason}`, { path: job.path });
}

/** The process-wide hash service. */
export const hashService = new HashService();

export function closeHashService(): Promise<void> {
  return hashService.close();
}

/** Hash a whole existing file (e.g. to verify a file that `skip`/`resume` found complete). */
export async function hashFile(path: string, algorithms: readonly ChecksumAlgorithm[]): Promise<Digests> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw toLocalIOError(error, path, 'hash');
  }
  const job = hashService.open(path, algorithms);
  job.advance(size);
  return job.finish(size);
}

/**
 * Throw ChecksumMismatchError for the first expected digest that `actual` contradicts (hex compared
 * case-insensitively). A digest missing from `actual` is a programming error: the algorithm was not requested.
 */
export function verifyDigests(actual: Digests, expected: readonly ExpectedDigest[], ctx: { url?: string; path?: string } = {}): void {
  for (const { algorithm, hex, source } of expected) {
    const got = actual[algorithm];
    if (got === undefined) throw new Error(`verifyDigests: no ${algorithm} digest was computed`);
    const want = hex.toLowerCase();
    if (got.toLowerCase() !== want) {
      throw new ChecksumMismatchError(algorithm, want, got, { source, url: ctx.url, path: ctx.path });
    }
  }
}
