import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChecksumAlgorithm } from '../../src/job/resolved.js';
import { openArrivalHash } from '../../src/verify/arrival-hash.js';
import { closeHashService, hashService, type HashJob } from '../../src/verify/checksum.js';

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-arrival-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await closeHashService();
  }
}

function bytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const hex = (alg: ChecksumAlgorithm, data: Buffer) => createHash(alg).update(data).digest('hex');

/** The real worker service, counting the jobs it was asked to open. */
function countingWorker(): { opened: number; open: (path: string, algs: readonly ChecksumAlgorithm[]) => HashJob } {
  const counter = {
    opened: 0,
    open: (path: string, algs: readonly ChecksumAlgorithm[]) => {
      counter.opened++;
      return hashService.open(path, algs);
    },
  };
  return counter;
}

test('a small file written in order is hashed on arrival, without the worker', async () => {
  await withTemp(async (dir) => {
    const data = bytes(300_000, 7);
    const path = join(dir, 'f.part');
    await writeFile(path, data);
    const worker = countingWorker();
    const job = openArrivalHash(path, ['sha256', 'md5', 'sha256'], { limit: 1 << 20, openWorkerJob: worker.open });
    job.offer([data.subarray(0, 65536), data.subarray(65536, 100_000)], 100_000, 0);
    job.advance(100_000);
    job.offer([data.subarray(100_000)], 200_000, 100_000);
    job.advance(300_000);
    const digests = await job.finish(300_000);
    assert.deepEqual(digests, { sha256: hex('sha256', data), md5: hex('md5', data) });
    assert.equal(worker.opened, 0);
    assert.equal(await job.finish(300_000), digests, 'a second finish() answers the same');
  });
});

test('bytes out of order, past the limit, or after a failed write: the worker hashes the file as it is on disk', async () => {
  await withTemp(async (dir) => {
    const data = bytes(200_000, 3);
    const path = join(dir, 'f.part');
    await writeFile(path, data);
    const cases: Array<[string, (job: ReturnType<typeof openArrivalHash>) => void]> = [
      ['a later range first', (job) => job.offer([data.subarray(100_000)], 100_000, 100_000)],
      ['past the limit', (job) => job.offer([data], 200_000, 0)],
      ['a failed write', (job) => { job.offer([data.subarray(0, 50_000)], 50_000, 0); job.spoil(); }],
      ['a rewrite of hashed bytes', (job) => { job.offer([data.subarray(0, 50_000)], 50_000, 0); job.offer([Buffer.alloc(10)], 10, 0); }],
      ['the end never offered', (job) => job.offer([data.subarray(0, 50_000)], 50_000, 0)],
    ];
    for (const [name, act] of cases) {
      const worker = countingWorker();
      const job = openArrivalHash(path, ['sha256'], { limit: 150_000, openWorkerJob: worker.open });
      act(job);
      job.advance(200_000);
      assert.deepEqual(await job.finish(200_000), { sha256: hex('sha256', data) }, name);
      assert.equal(worker.opened, 1, name);
    }
  });
});

test('the bytes offered are what is hashed: a file changed behind an in-order job is not read', async () => {
  await withTemp(async (dir) => {
    const data = bytes(1000, 1);
    const path = join(dir, 'f.part');
    await writeFile(path, Buffer.alloc(1000));
    const job = openArrivalHash(path, ['sha1'], { openWorkerJob: countingWorker().open });
    job.offer([data], 1000, 0);
    assert.deepEqual(await job.finish(1000), { sha1: hex('sha1', data) });
  });
});

test('an aborted job rejects finish() and never opens a worker job', async () => {
  await withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    await writeFile(path, bytes(10, 0));
    const worker = countingWorker();
    const job = openArrivalHash(path, ['sha256'], { openWorkerJob: worker.open });
    job.offer([bytes(10, 0)], 10, 0);
    job.abort();
    job.spoil();
    job.offer([bytes(10, 0)], 10, 10);
    await assert.rejects(job.finish(10), /aborted/);
    assert.equal(worker.opened, 0);
  });
});
