/** `checksum: sha256:file:<url>`: one fetch per list per run, then each file verified against its line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { ChecksumListRef } from '../../src/job/resolved.js';
import { MAX_CHECKSUM_LIST_BYTES } from '../../src/mirror/checksum-lists.js';
import type { FixtureServer } from '../helpers/fixture-server.js';
import { makeJob } from '../helpers/job.js';
import { KiB, fixture, run, assertDownloaded } from '../helpers/engine.js';

const listOf = (server: FixtureServer, path: string, algorithm: ChecksumListRef['algorithm'] = 'sha256'): ChecksumListRef => ({
  algorithm,
  url: server.url(path),
  displayUrl: server.url(path),
});

function requestsTo(server: FixtureServer, path: string): number {
  return server.requests.filter((r) => r.path === path).length;
}

test('a GNU list named by two files is fetched once; both are downloaded and verified', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/rel/a.iso', { size: 300 * KiB });
  server.addFile('/rel/b.iso', { size: 200 * KiB + 7 });
  const a = server.file('/rel/a.iso').sha256;
  const b = server.file('/rel/b.iso').sha256;
  server.addText('/rel/SHA256SUMS', `# release 1.0\n${a}  a.iso\n${b} *b.iso\n${'e'.repeat(64)}  other.iso\n`);
  const list = listOf(server, '/rel/SHA256SUMS');
  const { summary, of } = await run(
    makeJob(dir, [
      { url: server.url('/rel/a.iso'), checksumList: list },
      { url: server.url('/rel/b.iso'), checksumList: list },
    ]),
  );
  assert.equal(summary.done, 2, JSON.stringify(summary.files));
  assert.equal(requestsTo(server, '/rel/SHA256SUMS'), 1);
  await assertDownloaded(dir, 'a.iso', a);
  await assertDownloaded(dir, 'b.iso', b);
  assert.deepEqual(
    of('file:verified').map((e) => [e.path, e.algorithm, e.hex]).sort(),
    [['a.iso', 'sha256', a], ['b.iso', 'sha256', b]],
  );
});

test('a BSD-format sha512 list, reached through a redirect, verifies a file saved under another name', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/dl/tool-1.2.tar.gz', { size: 150 * KiB });
  const hex = createHash('sha512').update(server.file('/dl/tool-1.2.tar.gz').bytes()).digest('hex');
  server.addText('/dl/CHECKSUMS', `SHA256 (tool-1.2.tar.gz) = ${'0'.repeat(64)}\nSHA512 (tool-1.2.tar.gz) = ${hex.toUpperCase()}\n`);
  server.addRedirect('/latest/CHECKSUMS', '/dl/CHECKSUMS');
  // The output name is not in the list: the URL's last segment is.
  const { summary, of } = await run(
    makeJob(dir, [{ url: server.url('/dl/tool-1.2.tar.gz'), relPath: 'tool-latest.tar.gz', checksumList: listOf(server, '/latest/CHECKSUMS', 'sha512') }]),
  );
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'tool-latest.tar.gz', server.file('/dl/tool-1.2.tar.gz').sha256);
  assert.deepEqual(of('file:verified').map((e) => [e.algorithm, e.hex]), [['sha512', hex]]);
});

test('a wrong digest in the list: E_CHECKSUM, nothing kept', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/bad.bin', { size: 100 * KiB });
  const wrong = 'ab'.repeat(32);
  server.addText('/SHA256SUMS', `${wrong}  bad.bin\n`);
  const { summary, of } = await run(makeJob(dir, [{ url: server.url('/bad.bin'), checksumList: listOf(server, '/SHA256SUMS'), connections: 1 }]));
  assert.equal(summary.failed, 1);
  const error = summary.files[0]?.error;
  assert.equal(error?.code, 'E_CHECKSUM');
  assert.ok(error?.message.includes(`expected sha256:${wrong}`), error?.message);
  assert.deepEqual(of('file:verified'), []);
  assert.deepEqual(await readdir(dir), []);
});

test('a name missing from the list fails that file only, naming the list and the name; it is never requested', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/ok.bin', { size: 64 * KiB });
  server.addFile('/missing.bin', { size: 64 * KiB });
  server.addFile('/plain.bin', { size: 32 * KiB });
  server.addText('/SHA256SUMS', `${server.file('/ok.bin').sha256}  ok.bin\n`);
  const list = listOf(server, '/SHA256SUMS');
  const { summary, of } = await run(
    makeJob(dir, [
      { url: server.url('/ok.bin'), checksumList: list },
      { url: server.url('/missing.bin'), checksumList: list },
      { url: server.url('/plain.bin') },
    ]),
  );
  assert.deepEqual(summary.files.map((f) => [f.path, f.outcome]), [['ok.bin', 'downloaded'], ['missing.bin', 'failed'], ['plain.bin', 'downloaded']]);
  const error = summary.files[1]?.error;
  assert.equal(error?.code, 'E_CHECKSUM_LIST');
  assert.equal(error?.kind, 'integrity');
  assert.equal(error?.message, `checksum list ${list.displayUrl} has no sha256 line for "missing.bin"`);
  assert.equal(of('file:failed').length, 1);
  assert.equal(requestsTo(server, '/missing.bin'), 0);
  assert.equal(requestsTo(server, '/SHA256SUMS'), 1);
});

test('a list that cannot be fetched fails the files naming it (network class, naming the list); the others run', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/a.bin', { size: 16 * KiB });
  server.addFile('/plain.bin', { size: 16 * KiB });
  const list = listOf(server, '/gone/SHA256SUMS');
  const { summary } = await run(makeJob(dir, [{ url: server.url('/a.bin'), checksumList: list }, { url: server.url('/plain.bin') }]));
  assert.deepEqual(summary.files.map((f) => f.outcome), ['failed', 'downloaded']);
  const error = summary.files[0]?.error;
  assert.equal(error?.code, 'E_HTTP_STATUS');
  assert.equal(error?.kind, 'network');
  assert.equal(error?.message, `checksum list ${list.displayUrl}: HTTP 404`);
  assert.equal(requestsTo(server, '/a.bin'), 0);
});

test('a 5xx on the list is retried like any request', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/a.bin', { size: 16 * KiB });
  server.addText('/SHA256SUMS', `${server.file('/a.bin').sha256}  a.bin\n`, { faults: [{ type: 'status', status: 503, retryAfter: '0', firstN: 1 }] });
  const { summary } = await run(makeJob(dir, [{ url: server.url('/a.bin'), checksumList: listOf(server, '/SHA256SUMS') }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  assert.deepEqual(server.requests.filter((r) => r.path === '/SHA256SUMS').map((r) => r.status), [503, 200]);
});

for (const contentLength of [true, false]) {
  test(`a "list" over the size cap (${contentLength ? 'announced' : 'chunked'}) is not read to its end: E_CHECKSUM_LIST`, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/a.bin', { size: 16 * KiB });
    server.addFile('/huge', { size: 2 * MAX_CHECKSUM_LIST_BYTES, contentLength });
    const { summary } = await run(makeJob(dir, [{ url: server.url('/a.bin'), checksumList: listOf(server, '/huge') }]));
    assert.equal(summary.files[0]?.error?.code, 'E_CHECKSUM_LIST');
    assert.match(summary.files[0]?.error?.message ?? '', /is larger than 16 MiB: not a checksum list/);
    assert.ok(server.stats.bytesServed < 2 * MAX_CHECKSUM_LIST_BYTES, `${server.stats.bytesServed} bytes served`);
  });
}
