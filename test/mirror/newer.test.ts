/** `ifExists: newer`: a re-run asks "changed since?" and fetches only what did, never trusting a damaged copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSpec } from '../helpers/fixture-server.js';
import { MIRROR_STATE_NAME, parseState } from '../../src/storage/mirror-state.js';
import { formatSummary } from '../../src/report/summary.js';
import { makeJob } from '../helpers/job.js';
import { assertDownloaded, fixture, KiB, MiB, run, sha256 } from '../helpers/engine.js';

async function firstRun(t: Parameters<typeof fixture>[0], spec: FileSpec) {
  const { server, dir } = await fixture(t);
  server.addFile('/mirror.bin', spec);
  const job = makeJob(dir, [{ url: server.url('/mirror.bin'), ifExists: 'newer' }]);
  const first = await run(job);
  assert.equal(first.summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'mirror.bin', server.file('/mirror.bin').sha256);
  server.reset();
  return { server, dir, job };
}

async function stateEntry(dir: string, relPath: string) {
  const parsed = parseState(await readFile(join(dir, MIRROR_STATE_NAME), 'utf8'));
  assert.equal(parsed.reason, undefined, 'the state file is valid');
  return parsed.entries.get(relPath);
}

test('unchanged on the server (ETag): If-None-Match on a first request (Range: bytes=0-), a 304, no body bytes, outcome unchanged', async (t) => {
  const { server, dir, job } = await firstRun(t, { size: 300 * KiB });
  const served = server.file('/mirror.bin');
  const entry = await stateEntry(dir, 'mirror.bin');
  assert.deepEqual({ etag: entry?.etag, size: entry?.size, sha256: entry?.sha256 }, { etag: served.etag, size: served.size, sha256: served.sha256 });

  const second = await run(job);
  assert.equal(second.summary.files[0]?.outcome, 'unchanged');
  assert.equal(second.summary.unchanged, 1);
  assert.equal(second.summary.done, 0);
  assert.equal(second.summary.transferred, 0);
  assert.equal(second.of('file:done')[0]?.reason, 'not modified on the server');
  assert.equal(server.stats.bytesServed, 0);
  assert.equal(server.requests.length, 1);
  const request = server.requests[0]!;
  assert.equal(request.headers['if-none-match'], served.etag);
  assert.equal(request.headers['if-modified-since'], undefined);
  assert.equal(request.range, 'bytes=0-');
  assert.equal(request.status, 304);
  await assertDownloaded(dir, 'mirror.bin', served.sha256);
  assert.match(formatSummary(second.summary), /^0 done, 1 unchanged, 0 skipped, 0 failed/);
});

test('a server without ETag: If-Modified-Since with the server\'s Last-Modified, a 304, no body bytes', async (t) => {
  const { server, dir, job } = await firstRun(t, { size: 100 * KiB, etag: false });
  const served = server.file('/mirror.bin');
  assert.equal((await stateEntry(dir, 'mirror.bin'))?.etag, undefined);

  const second = await run(job);
  assert.equal(second.summary.files[0]?.outcome, 'unchanged');
  assert.equal(server.stats.bytesServed, 0);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.headers['if-modified-since'], served.lastModified);
  assert.equal(server.requests[0]?.headers['if-none-match'], undefined);
  assert.equal(server.requests[0]?.range, 'bytes=0-');
});

test('a new version replaces the old copy atomically: the old bytes stay in place until the new ones are complete', async (t) => {
  const { server, dir, job } = await firstRun(t, { size: MiB, etag: '"v1"' });
  const old = server.file('/mirror.bin').bytes();
  server.mutate('/mirror.bin', { version: 2, etag: '"v2"', throttle: 512 * KiB });
  const fresh = server.file('/mirror.bin');
  assert.notEqual(fresh.sha256, sha256(old));

  const pending = run({ ...job, files: job.files.map((f) => ({ ...f, connections: 2 })) });
  // While the new version is being written to .part, the final path still holds the old version, whole.
  let seenPart = false;
  for (let i = 0; i < 500 && !seenPart; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const part = await stat(join(dir, 'mirror.bin.part')).catch(() => undefined);
    if (part) {
      seenPart = true;
      assert.ok((await readFile(join(dir, 'mirror.bin'))).equals(old), 'old copy intact while the new one downloads');
    }
  }
  assert.ok(seenPart, 'saw the .part while the new version was downloading');
  const second = await pending;
  assert.equal(second.summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'mirror.bin', fresh.sha256);
  assert.equal(server.requests[0]?.headers['if-none-match'], '"v1"');
  assert.equal((await stateEntry(dir, 'mirror.bin'))?.etag, '"v2"');
  assert.equal((await stateEntry(dir, 'mirror.bin'))?.sha256, fresh.sha256);
});

const DAMAGE: Array<{ name: string; damage: (path: string) => Promise<void> }> = [
  { name: 'truncated', damage: (path) => truncate(path, 10 * KiB) },
  {
    name: 'edited in place (same size)',
    damage: async (path) => {
      const bytes = await readFile(path);
      bytes[1234] = bytes[1234]! ^ 0xff;
      await writeFile(path, bytes);
    },
  },
];

for (const c of DAMAGE) {
  test(`a local copy ${c.name} since pdl wrote it is fetched again in full: outcome repaired`, async (t) => {
    const { server, dir, job } = await firstRun(t, { size: 200 * KiB });
    await c.damage(join(dir, 'mirror.bin'));
    const second = await run(job);
    assert.equal(second.summary.files[0]?.outcome, 'repaired');
    assert.equal(second.summary.done, 1);
    await assertDownloaded(dir, 'mirror.bin', server.file('/mirror.bin').sha256);
    // Never asked "changed since?" for bytes that are not the ones pdl wrote.
    for (const request of server.requests) {
      assert.equal(request.headers['if-none-match'], undefined);
      assert.equal(request.headers['if-modified-since'], undefined);
    }
    assert.ok(server.stats.bytesServed >= 200 * KiB);
  });
}

test('checksum given and the local file matches it: no request at all, outcome unchanged', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/sum.bin', { size: 64 * KiB });
  const served = server.file('/sum.bin');
  await writeFile(join(dir, 'sum.bin'), served.bytes());
  const job = makeJob(dir, [{ url: served.url, ifExists: 'newer', checksum: { algorithm: 'sha256', hex: served.sha256 } }]);
  const result = await run(job);
  assert.equal(result.summary.files[0]?.outcome, 'unchanged');
  assert.equal(result.of('file:done')[0]?.reason, 'verified, unchanged');
  assert.equal(server.requests.length, 0);
});

test('a file present with no state entry and no checksum is downloaded again and replaced', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/have.bin', { size: 64 * KiB });
  await writeFile(join(dir, 'have.bin'), 'something older\n');
  const result = await run(makeJob(dir, [{ url: server.url('/have.bin'), ifExists: 'newer' }]));
  assert.equal(result.summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'have.bin', server.file('/have.bin').sha256);
  assert.equal(server.requests[0]?.headers['if-none-match'], undefined);
});

test('an invalid state file is ignored with a note: the file is downloaded again, and the state file is valid after', async (t) => {
  const { server, dir, job } = await firstRun(t, { size: 100 * KiB });
  await writeFile(join(dir, MIRROR_STATE_NAME), '{"format":"pdl-state","vers');
  const second = await run(job);
  assert.match(second.of('run:note')[0]?.message ?? '', /ignored .*\.pdl-state\.json: not valid JSON/);
  assert.equal(second.summary.files[0]?.outcome, 'downloaded');
  await assertDownloaded(dir, 'mirror.bin', server.file('/mirror.bin').sha256);
  assert.equal((await stateEntry(dir, 'mirror.bin'))?.sha256, server.file('/mirror.bin').sha256);
  // And the run after that is a 304 again.
  server.reset();
  const third = await run(job);
  assert.equal(third.summary.files[0]?.outcome, 'unchanged');
  assert.equal(server.stats.bytesServed, 0);
});

test('a root that uses the state file keeps it current in runs of other modes; a root that never did gets none', async (t) => {
  const { server, dir, job } = await firstRun(t, { size: 64 * KiB, etag: '"v1"' });
  server.mutate('/mirror.bin', { version: 2, etag: '"v2"' });
  const overwrite = await run({ ...job, files: job.files.map((f) => ({ ...f, ifExists: 'overwrite' as const })) });
  assert.equal(overwrite.summary.files[0]?.outcome, 'downloaded');
  assert.equal((await stateEntry(dir, 'mirror.bin'))?.etag, '"v2"');

  const other = await fixture(t);
  other.server.addFile('/plain.bin', { size: 64 * KiB });
  await run(makeJob(other.dir, [{ url: other.server.url('/plain.bin') }]));
  assert.equal(await stat(join(other.dir, MIRROR_STATE_NAME)).catch(() => undefined), undefined);
});

test('a URL spelled with ${VAR}: a re-run never trusts a 304, since the same spelling can name another file', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/v1/tool.bin', { size: 50 * KiB, etag: false });
  server.addFile('/v2/tool.bin', { size: 60 * KiB, etag: false });
  // What the job file says stays the same; the variable behind it changes between runs.
  const entry = (version: string) => ({ url: server.url(`/${version}/tool.bin`), displayUrl: `${server.origin}/\${VERSION}/tool.bin`, relPath: 'tool.bin', secrets: [version], ifExists: 'newer' as const });
  assert.equal((await run(makeJob(dir, [entry('v2')]))).summary.files[0]?.outcome, 'downloaded');
  server.reset();
  const back = await run(makeJob(dir, [entry('v1')]));
  assert.equal(back.summary.files[0]?.outcome, 'downloaded');
  assert.ok(server.requests.every((r) => r.headers['if-modified-since'] === undefined && r.headers['if-none-match'] === undefined));
  await assertDownloaded(dir, 'tool.bin', server.file('/v1/tool.bin').sha256);
});

for (const connections of [1, 4]) {
  test(`a changed file is transferred once, not twice: the conditional answer is the download's first range (${connections} connection${connections > 1 ? 's' : ''})`, async (t) => {
    const size = 2_000_000;
    const { server, dir, job } = await firstRun(t, { size, etag: '"v1"' });
    // Throttled: an unthrottled 2 MB on loopback is done before any rate is measured, and is rightly not split.
    server.mutate('/mirror.bin', { version: 2, etag: '"v2"', throttle: 1_000_000 });
    const second = await run({ ...job, files: job.files.map((f) => ({ ...f, connections, minSplitSize: 256 * KiB })) });
    assert.equal(second.summary.files[0]?.outcome, 'downloaded');
    await assertDownloaded(dir, 'mirror.bin', server.file('/mirror.bin').sha256);
    assert.equal(server.requests[0]?.headers['if-none-match'], '"v1"');
    if (connections === 1) {
      assert.equal(server.stats.bytesServed, size);
      assert.equal(server.requests.length, 1, 'the conditional request carried the whole file');
    } else {
      // What the socket of a first request cut short had in flight is no measure here (a fresh download has it too):
      // no byte is asked for twice — nothing but the conditional request starts at byte 0.
      assert.equal(server.requests[0]?.range, 'bytes=0-');
      assert.ok(server.requests.length > 1, 'the rest was fetched in ranges over several connections');
      assert.deepEqual(server.requests.slice(1).filter((r) => !r.range || r.range.startsWith('bytes=0-')), []);
    }
    assert.equal(second.summary.transferred, size);
  });
}
