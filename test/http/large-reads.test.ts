/** Large socket reads on plain http: bytes intact, reads beyond Node's 64 KiB, and a paused body still stops the socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDispatcher, request } from '../../src/http/agent.js';
import { SLAB_BYTES, largeReads } from '../../src/http/large-reads.js';

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes of the body, deterministic and not repetitive at any chunk size. */
function content(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 32) createHash('sha256').update(String(i)).digest().copy(out, i);
  return out;
}

/** Serves `body` in 64 KiB writes, waiting for 'drain' like any well-behaved server; tells how far the kernel took it. */
async function server(body: Buffer) {
  const state = { offered: 0, waitingForDrain: false, response: undefined as ServerResponse | undefined };
  const srv = createServer((_req, res) => {
    state.response = res;
    res.writeHead(200, { 'content-length': body.length });
    const more = () => {
      state.waitingForDrain = false;
      while (state.offered < body.length) {
        const piece = body.subarray(state.offered, state.offered + PIECE);
        state.offered += piece.length;
        if (!res.write(piece)) {
          state.waitingForDrain = true;
          res.once('drain', more);
          return;
        }
      }
      res.end();
    };
    more();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    /** Bytes the kernel accepted from the server (offered minus what still waits in the server's stream). */
    sent: () => state.offered - (state.response?.writableLength ?? 0),
    close: () =>
      new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      }),
  };
}

test('a plain-http body is read in reads larger than 64 KiB, byte for byte, and an unread body stops the socket', async (t) => {
  const body = content(64 * MiB);
  const s = await server(body);
  const agent = createDispatcher({ perHost: 1 });
  t.after(async () => {
    await agent.destroy();
    await s.close();
  });
  const response = await request(agent, { origin: s.url, path: '/', method: 'GET' });
  assert.equal(response.statusCode, 200);

  // Nobody reads the body yet: the client must stop reading the socket, so the server ends up blocked on 'drain'
  // with most of the body never sent, and stays so.
  for (let i = 0; i < 500 && !s.state.waitingForDrain; i++) await tick(10);
  await tick(200);
  assert.equal(s.state.waitingForDrain, true, 'the server is blocked while the body is not read');
  const sentWhilePaused = s.sent();
  assert.ok(sentWhilePaused < 32 * MiB, `${sentWhilePaused} bytes left the server while the body was not read`);

  const sizes: number[] = [];
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    response.body.on('data', (chunk: Buffer) => {
      sizes.push(chunk.length);
      hash.update(chunk);
    });
    response.body.on('end', resolve);
    response.body.on('error', reject);
  });
  assert.equal(sizes.reduce((a, b) => a + b, 0), body.length);
  assert.equal(hash.digest('hex'), createHash('sha256').update(body).digest('hex'));
  // Node's own reads stop at 64 KiB (undici may join two that queued up); here the kernel holds megabytes each time.
  const median = [...sizes].sort((a, b) => a - b)[sizes.length >> 1]!;
  assert.ok(median > 64 * 1024, `median chunk ${median} bytes over ${sizes.length} chunks`);
  assert.ok(Math.max(...sizes) <= SLAB_BYTES, `largest chunk ${Math.max(...sizes)} bytes, more than a slab`);
});

test('each read gets the rest of its slab until too little is left; a read never overlaps bytes handed out before', () => {
  const pushed: Buffer[] = [];
  const socket = { push: (chunk: Buffer) => pushed.push(chunk) < 3 } as never;
  const reads = largeReads(100, 30);
  const first = reads.buffer();
  assert.equal(first.length, 100);
  first.fill(1, 0, 60);
  assert.equal(reads.callback.call(socket, 60, first), true);
  const second = reads.buffer();
  assert.equal(second.length, 40, 'the rest of the slab');
  assert.equal(second.buffer, first.buffer);
  second.fill(2, 0, 20);
  assert.equal(reads.callback.call(socket, 20, second), true);
  const third = reads.buffer();
  assert.equal(third.length, 100, 'less than 30 bytes left: a new slab');
  assert.notEqual(third.buffer, first.buffer);
  third.fill(3, 0, 5);
  assert.equal(reads.callback.call(socket, 5, third), false, 'the stream is full: reading stops');
  assert.deepEqual(
    pushed.map((c) => [c.length, c[0], c.at(-1)]),
    [
      [60, 1, 1],
      [20, 2, 2],
      [5, 3, 3],
    ],
  );
});
