/** Bodies sent with a Content-Encoding pdl did not ask for: decoded when whole, never written as the file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { makeJob } from '../helpers/job.js';
import { KiB, assertDownloaded, fixture, run } from '../helpers/engine.js';

for (const coding of ['gzip', 'x-gzip', 'deflate', 'br']) {
  test(`a 200 with Content-Encoding: ${coding} is decoded into the file`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/enc.bin', { size: 300 * KiB, encoding: { coding } });
    const expected = server.file('/enc.bin').sha256;
    const { summary, of } = await run(makeJob(dir, [{ url: server.url('/enc.bin'), checksum: { algorithm: 'sha256', hex: expected } }]));
    assert.equal(summary.done, 1, JSON.stringify(summary.files));
    await assertDownloaded(dir, 'enc.bin', expected);
    // The decoded end is the size, whatever Content-Length said about the encoded bytes.
    assert.equal(of('file:done')[0]?.size, 300 * KiB);
    // One stream on one connection: an encoded representation is never split.
    assert.equal(server.requests.length, 1);
  });
}

test('a compressible text body sent as gzip comes out as the text, without a checksum to catch it', async (t) => {
  const { server, dir } = await fixture(t);
  const text = 'pdl asks for identity; this server sends gzip anyway.\n'.repeat(5000);
  server.addText('/notes.txt', text, { encoding: { coding: 'gzip' } });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/notes.txt') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'notes.txt', server.file('/notes.txt').sha256);
});

test('a 206 with Content-Encoding (ranges of the encoded bytes) is never combined: one plain stream from 0', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/static.bin', { size: 600 * KiB, encoding: { coding: 'gzip', ranges: true } });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/static.bin'), connections: 4, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'static.bin', server.file('/static.bin').sha256);
  const last = server.requests.at(-1);
  assert.equal(last?.status, 200);
  assert.equal(last?.range, undefined);
  assert.ok(server.requests.every((r) => r.range === undefined || r.range === 'bytes=0-'), JSON.stringify(server.requests.map((r) => r.range)));
});

test('an encoded stream cut short is fetched again from byte 0, never resumed into the decoded bytes', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/cut.bin', { size: 400 * KiB, encoding: { coding: 'br' }, faults: [{ type: 'reset', afterBytes: 150 * KiB, attempts: [1, 2] }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/cut.bin') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'cut.bin', server.file('/cut.bin').sha256);
  assert.deepEqual(
    server.requests.map((r) => r.status),
    [200, 200, 200],
  );
});

test('an unknown Content-Encoding fails the file with a message naming it, and writes nothing', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/odd.bin', { size: 50 * KiB, encoding: { coding: 'compress' } });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/odd.bin') }]));
  assert.equal(summary.failed, 1);
  const error = summary.files[0]?.error;
  assert.equal(error?.kind, 'protocol');
  assert.match(error?.message ?? '', /Content-Encoding: compress/);
  assert.deepEqual(await readdir(dir), []);
  assert.equal(server.requests.length, 1);
});

test('a body that does not decode as its Content-Encoding says fails as a protocol error, not retried', async (t) => {
  const { server, dir } = await fixture(t);
  // Labelled gzip, but the bytes are not gzip; ranges honoured on them, so the first answer is a 206, then one stream.
  server.addFile('/liar2.bin', { size: 50 * KiB, headers: { 'Content-Encoding': 'gzip' } });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/liar2.bin') }]));
  assert.equal(summary.failed, 1);
  const error = summary.files[0]?.error;
  assert.equal(error?.kind, 'protocol');
  assert.match(error?.message ?? '', /Content-Encoding: gzip/);
  assert.deepEqual(await readdir(dir), []);
  assert.equal(server.requests.filter((r) => r.path === '/liar2.bin').length, 2);
});
