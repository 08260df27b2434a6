/**
 * Proxies from the environment, end to end: the built CLI with HTTP_PROXY/NO_PROXY (either case) against a forward
 * proxy on loopback. The download host `pdl-test.invalid` resolves only inside the proxy, so a pdl that ignores the
 * proxy fails these tests with ENOTFOUND instead of passing by accident.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/job.js';
import { startTestProxy } from '../helpers/proxy.js';

const HIDDEN = 'pdl-test.invalid';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function setUp(t: TestContext) {
  const server = await startFixtureServer();
  t.after(() => server.close());
  const proxy = await startTestProxy({ [HIDDEN]: '127.0.0.1' });
  t.after(() => proxy.close());
  const hidden = (path: string) => server.origin.replace('127.0.0.1', HIDDEN) + path;
  return { server, proxy, hidden, dir: await tempDir(t) };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

for (const name of ['HTTP_PROXY', 'http_proxy']) {
  test(`pdl get goes through ${name}`, async (t) => {
    const { server, proxy, hidden, dir } = await setUp(t);
    server.addFile('/p/file.bin', { size: 700_000 });
    const out = join(dir, 'file.bin');
    const result = await runCli(['get', hidden('/p/file.bin'), '-o', out, '-c', '3', '--min-split-size', '64KiB', '--reporter', 'plain'], {
      env: { [name]: proxy.url },
    });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assertCleanStderr(result.stderr);
    assert.equal(sha256(await readFile(out)), server.file('/p/file.bin').sha256);
    assert.ok(proxy.stats.forwarded >= 1, 'the requests went through the proxy');
    assert.equal(proxy.stats.forwarded, server.requests.length, 'every request the server saw came through the proxy');
  });
}

test('NO_PROXY hosts bypass the proxy; the others in the same job go through it, within limits.perHost', async (t) => {
  const { server, proxy, hidden, dir } = await setUp(t);
  // Slow enough that the measured-speed rule splits it (a range must have more than 2 s left at its rate).
  server.addFile('/p/far.bin', { size: 2_000_000, throttle: 500_000 });
  server.addFile('/p/near.bin', { size: 300_000 });
  const job = join(dir, 'jobs.yaml');
  await writeFile(
    job,
    [
      'version: 1',
      'defaults: { dir: out, connections: 8, minSplitSize: 64KiB }',
      'limits: { perHost: 2, connections: 8 }',
      'files:',
      `  - ${hidden('/p/far.bin')}`,
      `  - ${server.origin}/p/near.bin`,
      '',
    ].join('\n'),
  );
  const result = await runCli(['run', job, '--reporter', 'plain'], { env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(sha256(await readFile(join(dir, 'out', 'far.bin'))), server.file('/p/far.bin').sha256);
  assert.equal(sha256(await readFile(join(dir, 'out', 'near.bin'))), server.file('/p/near.bin').sha256);
  const near = server.requests.filter((r) => r.path === '/p/near.bin').length;
  const far = server.requests.filter((r) => r.path === '/p/far.bin').length;
  assert.ok(near >= 1 && far >= 2, `near ${near}, far ${far}`);
  assert.equal(proxy.stats.forwarded, far, 'only the requests for the host outside NO_PROXY were proxied');
  assert.equal(proxy.stats.maxConcurrentPerHost, 2, 'limits.perHost holds through the proxy, and the file was split');
});

test('proxy credentials are sent to the proxy and never printed', async (t) => {
  const { server, proxy, hidden, dir } = await setUp(t);
  server.addFile('/p/auth.bin', { size: 10_000 });
  const withUser = proxy.url.replace('http://', 'http://alice:s3cret@');
  const ok = await runCli(['get', hidden('/p/auth.bin'), '-o', join(dir, 'auth.bin'), '--verbose', '--reporter', 'plain'], {
    env: { HTTP_PROXY: withUser },
  });
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.deepEqual([...new Set(proxy.stats.credentials)], ['alice:s3cret']);
  assert.doesNotMatch(ok.stdout + ok.stderr, /s3cret/);

  const unreachable = `http://alice:s3cret@127.0.0.1:${await closedPort()}`;
  const failed = await runCli(['get', hidden('/p/auth.bin'), '-o', join(dir, 'again.bin'), '--retries', '0', '--verbose', '--reporter', 'plain'], {
    env: { HTTPS_PROXY: unreachable, http_proxy: unreachable },
  });
  assert.equal(failed.code, 4, failed.stderr + failed.stdout);
  assert.doesNotMatch(failed.stdout + failed.stderr, /s3cret/);

  const bad = await runCli(['get', hidden('/p/auth.bin'), '-o', join(dir, 'bad.bin')], { env: { HTTPS_PROXY: 'ftp://alice:s3cret@proxy.example:21' } });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /HTTPS_PROXY/);
  assert.doesNotMatch(bad.stderr + bad.stdout, /s3cret/);
  assertCleanStderr(bad.stderr);
});
