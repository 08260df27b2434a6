/**
 * The fixture server's load shaping, used by the splitting tests and bench/splitting.mjs: a straggler
 * response among fast ones, a host that refuses requests past a parallel limit, and the counters they report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { contentBytes } from './content.js';
import { startFixtureServer, type FixtureServer, type FixtureServerOptions } from './fixture-server.js';

const KiB = 1024;

async function withServer(fn: (server: FixtureServer) => Promise<void>, options: FixtureServerOptions = {}): Promise<void> {
  const server = await startFixtureServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('a throttle fault makes only the chosen response crawl; the others keep the file throttle', () =>
  withServer(async (server) => {
    const size = 400 * KiB;
    server.addFile('/s.bin', { size, throttle: 4096 * KiB, faults: [{ type: 'throttle', bytesPerSecond: 20 * KiB, rangeStart: 'nonzero', attempts: [1] }] });
    const controller = new AbortController();
    const slow = await request(server.url('/s.bin'), { headers: { range: 'bytes=200000-' }, signal: controller.signal });
    let slowBytes = 0;
    const slowDone = (async () => {
      try {
        for await (const chunk of slow.body) slowBytes += (chunk as Buffer).length;
      } catch {
        // aborted below, on purpose
      }
    })();
    // The second range not starting at 0 is not the straggler: it arrives whole while the first still crawls.
    const fast = await request(server.url('/s.bin'), { headers: { range: 'bytes=100000-' } });
    assert.deepEqual(Buffer.from(await fast.body.arrayBuffer()), contentBytes('/s.bin', 100_000, size - 100_000));
    assert.ok(slowBytes < size - 200_000, `the straggler had already sent all ${slowBytes} bytes`);
    controller.abort();
    await slowDone;
    assert.deepEqual(
      server.requests.map((r) => r.faults),
      [['throttle'], []],
    );
  }));

test('a parallel limit refuses requests past N with 503 and Retry-After, counts them, and serves again once free', () =>
  withServer(
    async (server) => {
      server.addFile('/p.bin', { size: 64 * KiB, throttle: 32 * KiB });
      const responses = await Promise.all([0, 1, 2].map(() => request(server.url('/p.bin'))));
      const statuses = responses.map((r) => r.statusCode).sort();
      assert.deepEqual(statuses, [200, 200, 503]);
      const refused = responses.find((r) => r.statusCode === 503)!;
      assert.equal(refused.headers['retry-after'], '1');
      assert.match(await refused.body.text(), /503 Service Unavailable/);
      for (const res of responses) if (res.statusCode === 200) assert.equal((await res.body.arrayBuffer()).byteLength, 64 * KiB);
      assert.equal(server.stats.refusals, 1);
      assert.equal(server.stats.requests, 3);
      assert.equal(server.stats.bytesServed, 2 * 64 * KiB);
      assert.equal(server.stats.maxConcurrentServed, 2);
      assert.equal(server.stats.maxConcurrentRequests, 3);

      const again = await request(server.url('/p.bin'));
      assert.equal(again.statusCode, 200);
      await again.body.dump();
      assert.equal(server.stats.refusals, 1);
      assert.equal(server.stats.requests, 4);
      assert.deepEqual(
        server.requests.map((r) => r.faults.includes('parallel-limit')),
        server.requests.map((r) => r.status === 503),
      );
    },
    { parallelLimit: { max: 2, retryAfter: '1' } },
  ));

test('setParallelLimit changes the cap at run time (429 without Retry-After), and reset clears the counters', () =>
  withServer(async (server) => {
    server.addFile('/q.bin', { size: 32 * KiB, throttle: 32 * KiB });
    server.setParallelLimit({ max: 1, status: 429 });
    const responses = await Promise.all([0, 1, 2].map(() => request(server.url('/q.bin'))));
    assert.deepEqual(responses.map((r) => r.statusCode).sort(), [200, 429, 429]);
    for (const res of responses) {
      if (res.statusCode === 429) assert.equal(res.headers['retry-after'], undefined);
      await res.body.dump();
    }
    assert.equal(server.stats.refusals, 2);
    assert.ok(server.stats.maxConcurrentConnections >= 3, `max concurrent connections ${server.stats.maxConcurrentConnections}`);

    server.setParallelLimit(undefined);
    server.reset();
    assert.equal(server.stats.refusals, 0);
    assert.equal(server.stats.requests, 0);
    const all = await Promise.all([0, 1, 2].map(() => request(server.url('/q.bin'))));
    assert.deepEqual(all.map((r) => r.statusCode), [200, 200, 200]);
    for (const res of all) await res.body.dump();
    assert.equal(server.stats.refusals, 0);
    assert.equal(server.stats.requests, 3);
    assert.throws(() => server.setParallelLimit({ max: 0 }), /at least 1/);
  }));
