import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { pumpBody, type ByteSink, type RangeCursor } from '../../src/engine/body-writer.js';

const cursorAt = (position: number, end: number): RangeCursor => ({ position, end, lastByteAt: 0, paused: false, received: 0 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A sink writing into a Buffer standing for the file, recording every call. */
function memorySink(size: number, delay = 0) {
  const file = Buffer.alloc(size, 0x2e);
  const writes: Array<[number, number]> = [];
  const written: Array<[number, number]> = [];
  const sink: ByteSink = {
    async writev(chunks, length, position) {
      writes.push([position, length]);
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      Buffer.concat(chunks, length).copy(file, position);
    },
    written: (start, end) => written.push([start, end]),
  };
  return { file, writes, written, sink };
}

const signal = new AbortController().signal;

test('chunks are gathered into writes of at most batchBytes at their offsets, and the range end is respected', async () => {
  const { file, writes, written, sink } = memorySink(40);
  const body = new PassThrough();
  const cursor = cursorAt(10, 30);
  const pumped = pumpBody(body, { cursor, sink, skip: 0, limiter: undefined, signal, batchBytes: 8 });
  body.write(Buffer.from('abc'));
  body.write(Buffer.from('def'));
  body.write(Buffer.from('gh'));
  body.write(Buffer.from('ijklm'));
  // Would make the batch 12 bytes: what is held goes first. Only 7 of these 16 bytes are in the range.
  body.write(Buffer.from('nopqrstuvwxyzABC'));
  const result = await pumped;
  assert.deepEqual(result, { full: true, unskipped: 0 });
  assert.equal(cursor.position, 30);
  assert.equal(file.toString('latin1', 10, 30), 'abcdefghijklmnopqrst');
  assert.equal(file.toString('latin1', 30), '..........', 'nothing past the range end is written');
  assert.deepEqual(writes, [
    [10, 8],
    [18, 5],
    [23, 7],
  ]);
  assert.deepEqual(written, writes.map(([p, l]) => [p, p + l]));
});

test('bytes that arrived before the body failed are written, then the error is raised', async () => {
  const { file, written, sink } = memorySink(20);
  const body = new PassThrough();
  const cursor = cursorAt(0, 20);
  const pumped = pumpBody(body, { cursor, sink, skip: 0, limiter: undefined, signal, batchBytes: 1024 });
  body.write(Buffer.from('abc'));
  body.write(Buffer.from('def'));
  await tick();
  const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  body.destroy(reset);
  await assert.rejects(pumped, reset);
  assert.equal(file.toString('latin1', 0, 6), 'abcdef');
  assert.deepEqual(written, [[0, 6]]);
  assert.equal(cursor.position, 6);
});

test('a body that ends early resolves with full: false (the caller treats it as a short body)', async () => {
  const { sink } = memorySink(20);
  const body = new PassThrough();
  const cursor = cursorAt(0, 20);
  const pumped = pumpBody(body, { cursor, sink, skip: 0, limiter: undefined, signal });
  body.end(Buffer.from('abc'));
  assert.deepEqual(await pumped, { full: false, unskipped: 0 });
  assert.equal(cursor.position, 3);
});

test('skip drops the leading bytes we already hold; a body shorter than that reports what was left', async () => {
  const { file, sink } = memorySink(10);
  const body = new PassThrough();
  const cursor = cursorAt(4, 10);
  const pumped = pumpBody(body, { cursor, sink, skip: 4, limiter: undefined, signal });
  body.write(Buffer.from('01'));
  body.end(Buffer.from('23456789'));
  assert.deepEqual(await pumped, { full: true, unskipped: 0 });
  assert.equal(file.toString('latin1'), '....456789');

  const short = new PassThrough();
  const other = pumpBody(short, { cursor: cursorAt(4, 10), sink, skip: 4, limiter: undefined, signal });
  short.end(Buffer.from('01'));
  assert.deepEqual(await other, { full: false, unskipped: 2 });
});

test('a slow disk pauses the body (backpressure) and a failed write is raised, never reported as written', async () => {
  const body = new PassThrough();
  const cursor = cursorAt(0, 64);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const written: Array<[number, number]> = [];
  const sink: ByteSink = {
    async writev(_chunks, _length, position) {
      await gate;
      if (position >= 16) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
    },
    written: (start, end) => written.push([start, end]),
  };
  const pumped = pumpBody(body, { cursor, sink, skip: 0, limiter: undefined, signal, batchBytes: 8 });
  for (let i = 0; i < 4; i++) body.write(Buffer.alloc(8, i));
  await tick();
  assert.equal(body.isPaused(), true, 'two writes in flight: the body is paused');
  assert.equal(cursor.paused, true, 'the stall watchdog must not count this wait');
  release();
  await assert.rejects(pumped, /no space/);
  assert.deepEqual(written, [[0, 8], [8, 16]]);
});

test('with a rate limiter every chunk waits for it, in order', async () => {
  const { file, sink } = memorySink(9);
  const body = new PassThrough();
  const asked: number[] = [];
  const limiter = async (bytes: number) => {
    asked.push(bytes);
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const pumped = pumpBody(body, { cursor: cursorAt(0, 9), sink, skip: 0, limiter, signal, batchBytes: 4 });
  body.write(Buffer.from('abc'));
  body.write(Buffer.from('def'));
  body.end(Buffer.from('ghi'));
  assert.deepEqual(await pumped, { full: true, unskipped: 0 });
  assert.equal(file.toString('latin1'), 'abcdefghi');
  assert.deepEqual(asked, [3, 3, 3]);
});

test('a chunk larger than 64 KiB is taken from the rate limiter in 64 KiB steps, all of it written in order', async () => {
  const size = 200 * 1024;
  const { file, sink } = memorySink(size);
  const body = new PassThrough({ highWaterMark: size });
  const asked: number[] = [];
  const limiter = async (bytes: number) => {
    asked.push(bytes);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  const pumped = pumpBody(body, { cursor: cursorAt(0, size), sink, skip: 0, limiter, signal });
  body.end(data);
  assert.deepEqual(await pumped, { full: true, unskipped: 0 });
  assert.deepEqual(asked, [65536, 65536, 65536, 8192]);
  assert.equal(file.equals(data), true);
});
