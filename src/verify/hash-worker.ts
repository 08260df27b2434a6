/**
 * The hashing thread behind checksum.ts. Hashing costs about 1.1 CPU-s per GiB (sha256) and the main thread is
 * busy with sockets, so it runs here, on the second core. Each job hashes a file front to back as the main
 * thread reports its written prefix; one 1 MiB chunk per turn, round-robin across jobs, yielding to the
 * message queue between chunks so `advance`/`abort` are seen promptly. Sync reads are fine on this thread.
 */

import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ChecksumAlgorithm } from '../job/resolved.js';

export type ToWorker =
  | { type: 'open'; id: number; path: string; algorithms: ChecksumAlgorithm[] }
  | { type: 'advance'; id: number; end: number }
  | { type: 'finish'; id: number; size: number }
  | { type: 'abort'; id: number };

export type FromWorker =
  /** Reply to every 'advance', so the main thread keeps at most one in flight per job. */
  | { type: 'ack'; id: number }
  | { type: 'done'; id: number; digests: Record<string, string> }
  /** `code` is the errno code when there is one; the main thread turns this into a LocalIOError. */
  | { type: 'error'; id: number; code: string | undefined; message: string };

interface Job {
  id: number;
  fd: number;
  hashes: Array<[ChecksumAlgorithm, Hash]>;
  /** Bytes [0, hashed) are fed to every hash. */
  hashed: number;
  /** Bytes [0, target) may be read. */
  target: number;
  size: number | undefined;
  queued: boolean;
}

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);
const jobs = new Map<number, Job>();
/** Jobs with bytes to hash, in turn order. */
const ready: Job[] = [];
let pumping = false;

const port = parentPort;
if (port === null) throw new Error('hash-worker.js must run as a worker thread');

const send = (message: FromWorker): void => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'open':
      return openJob(message.id, message.path, message.algorithms);
    case 'advance':
      send({ type: 'ack', id: message.id });
      return moveTarget(jobs.get(message.id), message.end);
    case 'finish': {
      const job = jobs.get(message.id);
      if (job === undefined) return;
      job.size = message.size;
      return moveTarget(job, message.size);
    }
    case 'abort': {
      const job = jobs.get(message.id);
      if (job !== undefined) forget(job);
      return;
    }
  }
});

function openJob(id: number, path: string, algorithms: ChecksumAlgorithm[]): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return fail(id, error);
  }
  const hashes = algorithms.map((alg): [ChecksumAlgorithm, Hash] => [alg, createHash(alg)]);
  jobs.set(id, { id, fd, hashes, hashed: 0, target: 0, size: undefined, queued: false });
}

function moveTarget(job: Job | undefined, end: number): void {
  if (job === undefined) return;
  if (end > job.target) job.target = end;
  if (job.size !== undefined && job.target > job.size) {
    return failJob(job, undefined, `bytes up to ${job.target} were reported written, but the final size is ${job.size}`);
  }
  if (!job.queued && (job.hashed < job.target || job.size === job.hashed)) {
    job.queued = true;
    ready.push(job);
  }
  if (!pumping) {
    pumping = true;
    setImmediate(pump);
  }
}

/** One chunk of one job per turn; the event loop handles messages in between. */
function pump(): void {
  const job = ready.shift();
  if (job === undefined) {
    pumping = false;
    return;
  }
  job.queued = false;
  if (jobs.get(job.id) === job) {
    try {
      step(job);
    } catch (error) {
      failJob(job, error);
    }
  }
  setImmediate(pump);
}

function step(job: Job): void {
  if (job.hashed < job.target) {
    const want = Math.min(CHUNK, job.target - job.hashed);
    const got = readSync(job.fd, buffer, 0, want, job.hashed);
    if (got === 0) {
      return failJob(job, undefined, `the file ends at ${job.hashed} bytes, but ${job.target} were reported written`);
    }
    const bytes = buffer.subarray(0, got);
    for (const [, hash] of job.hashes) hash.update(bytes);
    job.hashed += got;
  }
  if (job.size !== undefined && job.hashed === job.size) {
    const digests: Record<string, string> = {};
    for (const [alg, hash] of job.hashes) digests[alg] = hash.digest('hex');
    forget(job);
    send({ type: 'done', id: job.id, digests });
  } else if (job.hashed < job.target) {
    job.queued = true;
    ready.push(job);
  }
}

function failJob(job: Job, error: unknown, message?: string): void {
  forget(job);
  fail(job.id, error, message);
}

function fail(id: number, error: unknown, message?: string): void {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = message ?? (error instanceof Error ? error.message : String(error));
  send({ type: 'error', id, code: typeof code === 'string' ? code : undefined, message: text });
}

function forget(job: Job): void {
  jobs.delete(job.id);
  try {
    closeSync(job.fd);
  } catch {
    // Nothing useful to do: the fd is gone either way.
  }
}
