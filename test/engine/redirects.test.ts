/** Redirects: which headers follow, where range requests go, and the redirects pdl refuses. */
import { test,type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { runJob } from '../../src/run-job.js';
import type { ResolvedJob } from '../../src/job/resolved.js';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { makeJob,tempDir } from '../helpers/job.js';
import { KiB, SPLIT_MEASURED, assertDownloaded } from '../helpers/engine.js';

const SECRET = 'Bearer s3cret-token';

async function fixture(t: TestContext, host?: string) {
  const server = await startFixtureServer(host ? { host } : {});
  t.after(() => server.close());
  return server;
}


const run = (job: ResolvedJob) => runJob(job, { splitRules: SPLIT_MEASURED });

test('a redirect to another origin drops every user header, on the first request and on every range request', async (t) => {
  const a = await fixture(t);
  const b = await fixture(t, '127.0.0.2');
  const dir = await tempDir(t);
  b.addFile('/data.bin', { size: 1024 * KiB, throttle: 1024 * KiB });
  a.addRedirect('/data.bin', b.url('/data.bin'), 302);
  const headers = { authorization: SECRET, 'x-custom': 'private' };
  const summary = await run(makeJob(dir, [{ url: a.url('/data.bin'), headers, secrets: ['s3cret-token'], connections: 4, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', b.file('/data.bin').sha256);
  // The original origin got the headers (they were meant for it), once: range requests go straight to the target.
  assert.equal(a.requests.length, 1);
  assert.equal(a.requests[0]?.headers['authorization'], SECRET);
  assert.equal(a.requests[0]?.headers['x-custom'], 'private');
  assert.ok(b.requests.length > 1, 'expected range requests at the second origin');
  for (const r of b.requests) {
    assert.equal(r.headers['authorization'], undefined, `authorization reached ${r.range}`);
    assert.equal(r.headers['x-custom'], undefined, `x-custom reached ${r.range}`);
    assert.equal(r.headers['accept-encoding'], 'identity');
  }
  assert.ok(b.requests.slice(1).every((r) => r.ifRange === b.file('/data.bin').etag));
});

test('a cross-origin hop that comes back to the first origin still carries no user header', async (t) => {
  const a = await fixture(t);
  const b = await fixture(t, '127.0.0.2');
  const dir = await tempDir(t);
  a.addFile('/data.bin', { size: 100 * KiB });
  a.addRedirect('/start', b.url('/bounce'), 307);
  b.addRedirect('/bounce', a.url('/data.bin'), 307);
  const summary = await run(makeJob(dir, [{ url: a.url('/start'), relPath: 'data.bin', headers: { authorization: SECRET, 'x-custom': '1' } }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'data.bin', a.file('/data.bin').sha256);
  const served = [...a.requests, ...b.requests].filter((r) => r.path !== '/start');
  for (const r of served) assert.deepEqual([r.path, r.headers['authorization'], r.headers['x-custom']], [r.path, undefined, undefined]);
});

test('a same-origin redirect keeps the user headers, range requests included', async (t) => {
  const a = await fixture(t);
  const dir = await tempDir(t);
  a.addFile('/real.bin', { size: 512 * KiB, throttle: 512 * KiB, requireHeaders: { authorization: SECRET } });
  a.addRedirect('/alias.bin', '/real.bin', 301);
  const summary = await run(makeJob(dir, [{ url: a.url('/alias.bin'), headers: { authorization: SECRET }, connections: 3, minSplitSize: 64 * KiB }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'alias.bin', a.file('/real.bin').sha256);
  const real = a.requests.filter((r) => r.path === '/real.bin');
  assert.ok(real.length > 1);
  for (const r of real) assert.equal(r.headers['authorization'], SECRET);
  // Only the first request went through the redirect.
  assert.equal(a.requests.filter((r) => r.path === '/alias.bin').length, 1);
});

test('a redirect loop fails at once with E_REDIRECT', async (t) => {
  const a = await fixture(t);
  const dir = await tempDir(t);
  a.addRedirect('/ping', '/pong');
  a.addRedirect('/pong', '/ping');
  const summary = await run(makeJob(dir, [{ url: a.url('/ping'), retries: 3 }]));
  assert.equal(summary.failed, 1);
  assert.equal(summary.files[0]?.error?.code, 'E_REDIRECT');
  assert.match(summary.files[0]?.error?.message ?? '', /redirect loop at .*\/ping/);
  assert.equal(a.requests.length, 2);
  assert.deepEqual(await readdir(dir), []);
});

/** `/hop0` → `/hop1` → … → `/hop{n-1}` → `/file.bin`: n redirects. */
function chain(server: Awaited<ReturnType<typeof fixture>>, n: number): string {
  server.addFile('/file.bin', { size: 10 * KiB });
  for (let i = 0; i < n; i++) server.addRedirect(`/hop${i}`, i + 1 < n ? `/hop${i + 1}` : '/file.bin');
  return server.url('/hop0');
}

test('ten redirects are followed', async (t) => {
  const a = await fixture(t);
  const dir = await tempDir(t);
  const summary = await run(makeJob(dir, [{ url: chain(a, 10), relPath: 'file.bin' }]));
  assert.equal(summary.done, 1, JSON.stringify(summary.files));
  await assertDownloaded(dir, 'file.bin', a.file('/file.bin').sha256);
  assert.equal(a.requests.length, 11);
});

test('more than ten redirects fail with E_REDIRECT, without retries', async (t) => {
  const a = await fixture(t);
  const dir = await tempDir(t);
  const summary = await run(makeJob(dir, [{ url: chain(a, 11), relPath: 'file.bin' }]));
  assert.equal(summary.failed, 1);
  assert.equal(summary.files[0]?.error?.code, 'E_REDIRECT');
  assert.match(summary.files[0]?.error?.message ?? '', /more than 10 redirects/);
  assert.equal(a.requests.length, 11);
  assert.equal(a.requests.filter((r) => r.path === '/file.bin').length, 0);
  assert.deepEqual(await readdir(dir), []);
});

test('a redirect to another scheme is refused', async (t) => {
  const a = await fixture(t);
  const dir = await tempDir(t);
  a.addRedirect('/ftp', 'ftp://127.0.0.1/file.bin');
  const summary = await run(makeJob(dir, [{ url: a.url('/ftp'), relPath: 'file.bin' }]));
  assert.equal(summary.files[0]?.error?.code, 'E_REDIRECT');
  assert.match(summary.files[0]?.error?.message ?? '', /unsupported scheme ftp:/);
});
