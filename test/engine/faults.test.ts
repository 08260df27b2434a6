/** The engine against servers that fail on purpose: resets, stalls, error statuses, wrong ranges, bad bodies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile,readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type RecordedRequest } from '../helpers/fixture-server.js';
import { makeJob } from '../helpers/job.js';
import { KiB,fixture,run,assertDownloaded } from '../helpers/engine.js';





/** First byte asked for by a recorded request (`bytes=N-…`), or undefined without Range. */
function rangeStart(r: RecordedRequest | undefined): number | undefined {
  const m = /^bytes=(\d+)-/.exec(r?.range ?? '');
  return m ? Number(m[1]) : undefined;
}

function assertIdentity(requests: readonly RecordedRequest[]): void {
  for (const r of requests) assert.equal(r.headers['accept-encoding'], 'identity', `${r.method} ${r.range ?? ''}`);
}

test('connections reset after N bytes are retried from where they stopped, not from 0', async (t) => {
  const { server, dir } = await fixture(t);
  const N = 200 * KiB;
  server.addFile('/reset.bin', { size: 700 * KiB, faults: [{ type: 'reset', afterBytes: N, firstN: 2 }] });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/reset.bin'), connections: 1 }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'reset.bin', server.file('/reset.bin').sha256);
  // Every byte that arrived before a reset is kept; the retries ask for exactly the rest.
  const last = 700 * KiB - 1;
  assert.deepEqual(
    server.requests.map((r) => r.range),
    ['bytes=0-', `bytes=${N}-${last}`, `bytes=${2 * N}-${last}`],
  );
  const etag = server.file('/reset.bin').etag;
  assert.deepEqual(
    server.requests.map((r) => r.ifRange),
    [undefined, etag, etag],
  );
  assert.equal(of('range:retry').length, 2);
  assertIdentity(server.requests);
});

test('resets on several connections at once still end in a complete, correct file', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/reset.bin', { size: 1024 * KiB, throttle: 2048 * KiB, faults: [{ type: 'reset', afterBytes: 100 * KiB, rst: true, firstN: 4 }] });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/reset.bin'), connections: 4, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'reset.bin', server.file('/reset.bin').sha256);
  assert.ok(server.requests.length > 4);
  // Resets are retried per range; nothing restarts the file.
  assert.deepEqual(of('file:retry').filter((e) => /starting over|one stream/.test(e.reason)), []);
  assert.equal(server.requests.filter((r) => r.range === 'bytes=0-' && r.ifRange === undefined).length, 1);
});

test('a stalled connection is dropped after the file timeout and the retry continues', async (t) => {
  const { server, dir } = await fixture(t);
  const N = 100 * KiB;
  server.addFile('/stall.bin', { size: 400 * KiB, faults: [{ type: 'stall', afterBytes: N, attempts: [1] }] });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/stall.bin'), connections: 1, timeout: 300 }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'stall.bin', server.file('/stall.bin').sha256);
  assert.deepEqual(server.requests.map(rangeStart), [0, N]);
  const retries = of('range:retry');
  assert.equal(retries.length, 1);
  assert.match(retries[0]?.reason ?? '', /no data received for 300 ms/);
});

for (const [status, retryAfter] of [
  [503, () => '1'],
  [429, () => new Date(Date.now() + 2000).toUTCString()],
] as const) {
  test(`HTTP ${status} with Retry-After ${status === 503 ? 'in seconds' : 'as a date'} is waited out and retried`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/busy.bin', { size: 100 * KiB, faults: [{ type: 'status', status, retryAfter: retryAfter(), firstN: 1 }] });
    const { summary, of } = await run(makeJob(dir, [{ url: server.url('/busy.bin') }]));
    assert.equal(summary.done, 1, JSON.stringify(summary.files));
    await assertDownloaded(dir, 'busy.bin', server.file('/busy.bin').sha256);
    assert.deepEqual(
      server.requests.map((r) => [r.status, r.range]),
      [
        [status, 'bytes=0-'],
        [206, 'bytes=0-'],
      ],
    );
    const [busy, ok] = server.requests;
    // Retry-After is at least ~1 s in both forms (a date has one-second resolution); the backoff alone is < 0.5 s.
    assert.ok(ok!.time - busy!.time >= 800, `retried after ${ok!.time - busy!.time} ms`);
    assert.ok((of('file:retry')[0]?.delayMs ?? 0) >= 800);
  });
}

test('HTTP 404 fails at once: no retry, and the error page is never written', async (t) => {
  const { server, dir } = await fixture(t);
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/missing.bin'), retries: 5 }]));
  assert.equal(summary.failed, 1);
  const error = summary.files[0]?.error;
  assert.equal(error?.code, 'E_HTTP_STATUS');
  assert.match(error?.message ?? '', /HTTP 404/);
  assert.equal(server.requests.length, 1);
  assert.deepEqual(of('file:retry'), []);
  assert.deepEqual(await readdir(dir), []);
});

test('5xx is retried up to `retries` times, then the file fails naming the status', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/broken.bin', { size: 10 * KiB, faults: [{ type: 'status', status: 500 }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/broken.bin'), retries: 2 }]));
  assert.equal(summary.failed, 1);
  assert.equal(summary.files[0]?.error?.code, 'E_HTTP_STATUS');
  assert.match(summary.files[0]?.error?.message ?? '', /HTTP 500.*after 2 retries/);
  assert.equal(server.requests.length, 3);
  assert.deepEqual(await readdir(dir), []);
});

test('a wrong Content-Range on the first answer is never written: the file is fetched as one stream', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/shifted.bin', { size: 300 * KiB, faults: [{ type: 'wrong-content-range', shift: 1000, attempts: [1] }] });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/shifted.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'shifted.bin', server.file('/shifted.bin').sha256);
  assert.deepEqual(
    server.requests.map((r) => [r.range, r.status]),
    [
      ['bytes=0-', 206],
      [undefined, 200],
    ],
  );
  assert.match(of('file:retry')[0]?.reason ?? '', /byte ranges/);
});

test('a wrong Content-Range on a split range makes the file fall back to one stream from 0', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/shifted.bin', {
    size: 1024 * KiB,
    throttle: 1024 * KiB,
    faults: [{ type: 'wrong-content-range', shift: -4096, rangeStart: 'nonzero', attempts: [1] }],
  });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/shifted.bin'), connections: 2, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'shifted.bin', server.file('/shifted.bin').sha256);
  const last = server.requests.at(-1);
  assert.equal(last?.range, undefined);
  assert.equal(last?.status, 200);
});

test('a 200 to a split range request (server dropped ranges) restarts the file once as one stream', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/dropped.bin', { size: 1024 * KiB, throttle: 1024 * KiB, faults: [{ type: 'ignore-range', rangeStart: 'nonzero' }] });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/dropped.bin'), connections: 2, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'dropped.bin', server.file('/dropped.bin').sha256);
  assert.equal(of('file:retry').length, 1);
  const last = server.requests.at(-1);
  assert.deepEqual([last?.range, last?.status], [undefined, 200]);
  // After the fallback nothing asks for ranges any more.
  const fallback = server.requests.findIndex((r) => r.range === undefined);
  assert.equal(server.requests.length, fallback + 1);
});

test('a body shorter than announced is retried from where it stopped', async (t) => {
  const { server, dir } = await fixture(t);
  const N = 150 * KiB;
  server.addFile('/short.bin', { size: 400 * KiB, faults: [{ type: 'short', bytes: N, attempts: [1] }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/short.bin'), connections: 1 }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'short.bin', server.file('/short.bin').sha256);
  assert.deepEqual(server.requests.map(rangeStart), [0, N]);
});

for (const inContentLength of [false, true]) {
  test(`a body longer than its range${inContentLength ? ' (counted in Content-Length)' : ''} is cut at the range end`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/long.bin', { size: 500 * KiB, throttle: 1024 * KiB, faults: [{ type: 'long', extra: 3000, inContentLength }] });
    const { summary } = await run(makeJob(dir, [{ url: server.url('/long.bin'), connections: 3, minSplitSize: 64 * KiB }]));
    assert.equal(summary.done, 1, JSON.stringify(summary.files));
    assert.equal(summary.files[0]?.size, 500 * KiB);
    await assertDownloaded(dir, 'long.bin', server.file('/long.bin').sha256);
  });
}

test('other 4xx statuses fail at once (403 on a split range)', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/forbidden.bin', { size: 1024 * KiB, throttle: 1024 * KiB, faults: [{ type: 'status', status: 403, rangeStart: 'nonzero' }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/forbidden.bin'), connections: 2, retries: 5 }]));
  assert.equal(summary.failed, 1);
  assert.equal(summary.files[0]?.error?.code, 'E_HTTP_STATUS');
  assert.match(summary.files[0]?.error?.message ?? '', /HTTP 403/);
  assert.equal(server.requests.filter((r) => r.status === 403).length, 1);
  assert.equal(await readFile(join(dir, 'forbidden.bin')).catch(() => 'absent'), 'absent');
});

test('a restart does not wait for another connection sleeping out a long Retry-After', { timeout: 20_000 }, async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/busy.bin', {
    size: 1024 * KiB,
    throttle: 1024 * KiB,
    faults: [
      // The first split range is told to come back in an hour (pdl caps that at 60 s) … (a 502: a 503 while other
      // connections are served says "too many connections", and the range goes back to the pool without a wait)
      { type: 'status', status: 502, retryAfter: '3600', rangeStart: 'nonzero', attempts: [1] },
      // … and the second split range finds the file changed: the file restarts and must not wait for that sleep.
      { type: 'change-version', rangeStart: 'nonzero', attempts: [2] },
    ],
  });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/busy.bin'), connections: 3, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'busy.bin', server.file('/busy.bin').sha256);
  assert.equal(server.file('/busy.bin').version, 2);
  assert.ok(of('range:retry').some((e) => e.delayMs >= 60_000));
  assert.ok(of('file:retry').some((e) => /changed/.test(e.reason)));
});

test('a failing file does not wait for another connection sleeping out a long Retry-After', { timeout: 20_000 }, async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/busy.bin', {
    size: 1024 * KiB,
    throttle: 1024 * KiB,
    faults: [
      { type: 'status', status: 502, retryAfter: '3600', rangeStart: 'nonzero', attempts: [1] },
      { type: 'status', status: 410, rangeStart: 'nonzero', attempts: [2] },
    ],
  });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/busy.bin'), connections: 3, minSplitSize: 64 * KiB }]));
  assert.equal(summary.failed, 1);
  assert.match(summary.files[0]?.error?.message ?? '', /HTTP 410/);
});

test('an attempt that made real progress resets the retry count: more resets than `retries` still complete', async (t) => {
  const { server, dir } = await fixture(t);
  // 64 KiB per attempt: the least that counts as progress (see retry-budget.ts); less is a trickle (drip.test.ts).
  server.addFile('/choppy.bin', { size: 400 * KiB, faults: [{ type: 'reset', afterBytes: 64 * KiB, firstN: 5 }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/choppy.bin'), connections: 1, retries: 2 }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'choppy.bin', server.file('/choppy.bin').sha256);
  assert.deepEqual(
    server.requests.map(rangeStart),
    [0, 1, 2, 3, 4, 5].map((i) => i * 64 * KiB),
  );
});

test('attempts without progress run out after `retries` and fail with E_NETWORK, keeping nothing', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/dead.bin', { size: 100 * KiB, faults: [{ type: 'reset', afterBytes: 0 }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/dead.bin'), connections: 1, retries: 2 }]));
  assert.equal(summary.failed, 1);
  assert.equal(summary.files[0]?.error?.code, 'E_NETWORK');
  assert.match(summary.files[0]?.error?.message ?? '', /after 2 retries/);
  assert.equal(server.requests.length, 3);
});

test('a connection reset while the first answer is being prepared fails the file cleanly, never hangs', async (t) => {
  // The reset can land between the response head and the moment the body is read (preallocation, hashing):
  // the body is then already dead, and must still surface as an error. Repeat to hit the timing.
  const { server, dir } = await fixture(t);
  for (let i = 0; i < 25; i++) {
    server.addFile(`/early${i}.bin`, { size: 256 * KiB, faults: [{ type: 'reset', afterBytes: 100 * KiB, firstN: 10 }] });
    const job = makeJob(join(dir, String(i)), [{ url: server.url(`/early${i}.bin`), connections: 1, retries: 0 }]);
    const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`run ${i} hung`)), 5000).unref());
    const { summary } = await Promise.race([run(job), deadline]);
    assert.equal(summary.files[0]?.outcome, 'failed', `run ${i}`);
    assert.equal(summary.files[0]?.error?.code, 'E_NETWORK', `run ${i}`);
  }
});
