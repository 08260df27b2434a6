import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { BodyWriter, ChunkReader, type RangeCursor } from '../../src/engine/body-writer.js';

const cursorAt = (position: number, end: number): RangeCursor => ({ position, end, lastByteAt: 0, paused: false, received: 0 });

test('ChunkReader hands over every chunk that arrived before the body failed, then the error', async () => {
  const body = new PassThrough();
  const reader = new ChunkReader(body);
  body.write(Buffer.from('abc'));
  body.write(Buffer.from('def'));
  await new Promise((resolve) => setImmediate(resolve));
  const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  body.destroy(reset);
  assert.equal((await reader.next())?.toString(), 'abc');
  assert.equal((await reader.next())?.toString(), 'def');
  await assert.rejects(reader.next(), reset);
});

test('ChunkReader ends with undefined and pauses the source while its queue is full', async () => {
  const body = new PassThrough();
  const reader = new ChunkReader(body, 4);
  body.write(Buffer.from('12345'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(body.isPaused(), true);
  assert.equal((await reader.next())?.toString(), '12345');
  assert.equal(body.isPaused(), false);
  const waiting = reader.next();
  body.end(Buffer.from('6'));
  assert.equal((await waiting)?.toString(), '6');
  assert.equal(await reader.next(), undefined);
});

test('BodyWriter writes big blocks at their offsets, stops at the range end and reports what reached the file', async () => {
  const file = Buffer.alloc(40, 0x2e);
  const writes: Array<[number, number]> = [];
  const written: Array<[number, number]> = [];
  const cursor = cursorAt(10, 30);
  const writer = new BodyWriter(
    {
      write: async (buffer, length, position) => {
        writes.push([position, length]);
        buffer.copy(file, position, 0, length);
      },
      written: (start, end) => written.push([start, end]),
    },
    cursor,
    8,
  );
  assert.equal(await writer.push(Buffer.from('abcdefghij')), true);
  assert.equal(await writer.push(Buffer.from('klmnopqrstuvwxyz')), false);
  await writer.drain();
  assert.equal(cursor.position, 30);
  assert.equal(file.toString('latin1', 10, 30), 'abcdefghijklmnopqrst');
  assert.equal(file.toString('latin1', 30), '..........');
  assert.deepEqual(writes, [
    [10, 8],
    [18, 8],
    [26, 4],
  ]);
  assert.deepEqual(written, writes.map(([p, l]) => [p, p + l]));
});

test('BodyWriter rethrows a failed write from drain and never reports those bytes as written', async () => {
  const written: Array<[number, number]> = [];
  const full = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  const writer = new BodyWriter(
    {
      write: async (_b, _l, position) => {
        if (position >= 4) throw full;
      },
      written: (start, end) => written.push([start, end]),
    },
    cursorAt(0, 100),
    4,
  );
  await writer.push(Buffer.from('abcdefgh'));
  await assert.rejects(writer.drain(), full);
  assert.deepEqual(written, [[0, 4]]);
});
