/** The engine on well-behaved but varied servers: ranges or not, length or not, empty files, many connections. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { makeJob } from '../helpers/job.js';
import { KiB,MiB,fixture,run,assertDownloaded } from '../helpers/engine.js';





test('a file is downloaded over several ranges and matches byte for byte', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/big.bin', { size: 5 * MiB + 123, throttle: 4 * MiB });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/big.bin'), minSplitSize: 256 * KiB }]));
  assert.equal(summary.failed, 0, JSON.stringify(summary.files));
  assert.equal(summary.done, 1);
  assert.equal(summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'big.bin', server.file('/big.bin').sha256);
  assert.deepEqual(await readdir(dir), ['big.bin']);
  // Really split: several 206s, no restart and no fallback to a plain stream.
  assert.deepEqual(of('file:retry'), []);
  const ranged = server.requests.filter((r) => r.status === 206);
  assert.equal(ranged.length, server.requests.length);
  assert.ok(ranged.length > 1, `expected splitting, saw ${server.requests.map((r) => r.range).join(' ')}`);
  assert.equal(server.requests[0]?.range, 'bytes=0-');
  assert.equal(server.requests[0]?.ifRange, undefined);
  const etag = server.file('/big.bin').etag;
  for (const r of server.requests.slice(1)) assert.equal(r.ifRange, etag, `If-Range on ${r.range}`);
  for (const r of server.requests) assert.equal(r.headers['accept-encoding'], 'identity');
});

test('a server that ignores ranges (200 to bytes=0-) is read as one stream, never split', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/plain.bin', { size: MiB + 7, acceptRanges: false, throttle: 2 * MiB });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/plain.bin'), minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'plain.bin', server.file('/plain.bin').sha256);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.range, 'bytes=0-');
  assert.equal(server.requests[0]?.status, 200);
  assert.equal(server.stats.maxConcurrentRequests, 1);
  assert.equal(of('range:start').length, 1);
});

test('a one-stream download cut off midway continues past the bytes it holds, without corrupting them', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/plain.bin', { size: 700 * KiB + 3, acceptRanges: false, faults: [{ type: 'reset', afterBytes: 300 * KiB, attempts: [1] }] });
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/plain.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'plain.bin', server.file('/plain.bin').sha256);
  assert.equal(server.requests.length, 2);
  // The retry cannot ask for a range (the server has none): a plain GET whose first 300 KiB are read past.
  assert.equal(server.requests[1]?.range, undefined);
  assert.equal(server.requests[1]?.status, 200);
  assert.equal(of('file:retry').length, 1);
});

test('a response without Content-Length (chunked) is read to its end and that is the size', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/chunked.bin', { size: 600 * KiB + 1, acceptRanges: false, contentLength: false });
  const checksum = { algorithm: 'sha256' as const, hex: server.file('/chunked.bin').sha256 };
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/chunked.bin'), checksum }]));
  assert.equal(of('file:verified').length, 1);
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.size, 600 * KiB + 1);
  await assertDownloaded(dir, 'chunked.bin', server.file('/chunked.bin').sha256);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.headers['accept-encoding'], 'identity');
});

test('a chunked stream reset midway is fetched again and read past what is held', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/chunked.bin', {
    size: 600 * KiB + 1,
    acceptRanges: false,
    contentLength: false,
    faults: [{ type: 'reset', afterBytes: 200 * KiB, attempts: [1] }],
  });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/chunked.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.size, 600 * KiB + 1);
  await assertDownloaded(dir, 'chunked.bin', server.file('/chunked.bin').sha256);
  assert.equal(server.requests.length, 2);
});

test('pdl never sends HEAD, so a server refusing HEAD is no problem', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/nohead.bin', { size: 300 * KiB, head: 'refuse' });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/nohead.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'nohead.bin', server.file('/nohead.bin').sha256);
  assert.deepEqual(
    server.requests.filter((r) => r.method !== 'GET'),
    [],
  );
});

test('with a per-connection throttle the file is fetched over several connections at once', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/slow.bin', { size: 2 * MiB, throttle: 1 * MiB });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/slow.bin'), connections: 4, minSplitSize: 128 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'slow.bin', server.file('/slow.bin').sha256);
  const sockets = new Set(server.requests.map((r) => r.socketId));
  const starts = new Set(server.requests.map((r) => r.range));
  assert.ok(sockets.size >= 3, `expected several sockets, saw ${sockets.size}`);
  assert.ok(starts.size >= 3, `expected several ranges, saw ${[...starts].join(' ')}`);
  // The client runs at most 4 at once; the first, open-ended request is cut when the second connection joins, and
  // the server may count it for a moment after the client let go of it — hence one more on the server's side.
  const concurrent = server.stats.maxConcurrentRequests;
  assert.ok(concurrent >= 3 && concurrent <= 5, `the server saw ${concurrent} requests at once`);
  // Split points land inside the file and every answer was a 206.
  for (const r of server.requests) assert.equal(r.status, 206, `${r.range}`);
});

test('an empty file (416 with bytes */0 to bytes=0-) is created empty', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/empty.bin', { size: 0 });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/empty.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.equal(summary.files[0]?.size, 0);
  await assertDownloaded(dir, 'empty.bin', server.file('/empty.bin').sha256);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.status, 416);
});

test('an empty file served with 200 and Content-Length 0 is created empty', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/empty.bin', { size: 0, acceptRanges: false });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/empty.bin'), checksum: { algorithm: 'sha256', hex: server.file('/empty.bin').sha256 } }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'empty.bin', server.file('/empty.bin').sha256);
});
