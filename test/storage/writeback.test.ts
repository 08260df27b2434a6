import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartFile } from '../../src/storage/part-file.js';
import { WRITEBACK_STEP_BYTES, WritebackAhead } from '../../src/storage/writeback.js';

/** A sync the test finishes by hand, counting how many were asked for. */
function manualSync() {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const sync = () => new Promise<void>((resolve, reject) => void pending.push({ resolve, reject }));
  return { sync, pending };
}

test('a background sync starts once a step was written, and never two at once', async () => {
  const { sync, pending } = manualSync();
  const writeback = new WritebackAhead(sync, 100);
  writeback.wrote(60);
  assert.equal(pending.length, 0, 'less than a step: no sync');
  writeback.wrote(40);
  assert.equal(pending.length, 1, 'a step: one sync');
  writeback.wrote(500);
  assert.equal(pending.length, 1, 'one still running: no second');
  pending[0]!.resolve();
  assert.equal(await writeback.settle(), undefined);
  writeback.wrote(1);
  assert.equal(pending.length, 2, 'what was written while one ran counts towards the next');
  pending[1]!.resolve();
  await writeback.settle();
  writeback.wrote(99);
  assert.equal(pending.length, 2, 'the count starts again when a sync starts');
  writeback.wrote(1);
  assert.equal(pending.length, 3);
  const settled = writeback.settle();
  let done = false;
  void settled.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(done, false, 'settle waits for the running sync');
  pending[2]!.resolve();
  assert.equal(await settled, undefined);
});

test('a failed background sync is kept for settle, and no further one starts', async () => {
  const { sync, pending } = manualSync();
  const writeback = new WritebackAhead(sync, 10);
  writeback.wrote(10);
  const failure = new Error('EIO: i/o error, fdatasync');
  pending[0]!.reject(failure);
  assert.equal(await writeback.settle(), failure);
  writeback.wrote(1000);
  assert.equal(pending.length, 1, 'after a failure the file is done for: no more background syncs');
  assert.equal(await writeback.settle(), failure, 'still reported: the final sync may pass where this one failed');
});

test('a sync that throws at once is a failure too, not an exception in the writer', async () => {
  const writeback = new WritebackAhead(async () => {
    throw new Error('closed');
  }, 1);
  assert.doesNotThrow(() => writeback.wrote(1));
  assert.match(String(await writeback.settle()), /closed/);
});

test('a .part file written past several steps, with writes and background syncs interleaved, commits whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-writeback-'));
  try {
    const finalPath = join(dir, 'big.bin');
    const size = WRITEBACK_STEP_BYTES * 2 + 12345;
    const part = await PartFile.create(PartFile.partPathOf(finalPath), size);
    const chunk = Buffer.alloc(1024 * 1024);
    const expected = createHash('sha256');
    // 1 MiB writes, four in flight: the background syncs run while other writes land.
    const writes: Promise<void>[] = [];
    for (let position = 0, n = 0; position < size; position += chunk.length, n++) {
      const length = Math.min(chunk.length, size - position);
      const bytes = Buffer.alloc(length, n % 251);
      writes.push(part.writev([bytes], length, position));
      if (writes.length === 4) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await part.commit(finalPath);
    for (let position = 0, n = 0; position < size; position += chunk.length, n++) {
      expected.update(Buffer.alloc(Math.min(chunk.length, size - position), n % 251));
    }
    const actual = createHash('sha256');
    for await (const piece of createReadStream(finalPath)) actual.update(piece as Buffer);
    assert.equal(actual.digest('hex'), expected.digest('hex'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
