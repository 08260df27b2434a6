import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { request } from 'undici';
import { contentBytes, contentSha256 } from './content.js';
import { startFixtureServer, type FixtureServer } from './fixture-server.js';
import { rawRequest } from './raw-http.js';

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET'): Promise<Got> {
  const res = await request(url, { method, headers });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

async function withServer(fn: (server: FixtureServer) => Promise<void>): Promise<void> {
  const server = await startFixtureServer();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('serves a whole file with the standard headers and deterministic bytes', () =>
  withServer(async (server) => {
    server.addFile('/a.bin', { size: 100_003 });
    const res = await get(server.url('/a.bin'));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '100003');
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['etag'], '"/a.bin-v1"');
    assert.equal(res.headers['last-modified'], 'Mon, 01 Jan 2024 00:00:00 GMT');
    assert.deepEqual(res.body, contentBytes('/a.bin', 0, 100_003));
    assert.equal(server.file('/a.bin').sha256, contentSha256('/a.bin', 100_003));
    assert.equal(server.stats.bytesServed, 100_003);
  }));

test('Range requests: a-b, a-, suffix, clamping, 416, and ignored forms', () =>
  withServer(async (server) => {
    server.addFile('/r', { size: 1000 });
    const cases: Array<[range: string, status: number, contentRange: string | undefined, start: number, length: number]> = [
      ['bytes=0-99', 206, 'bytes 0-99/1000', 0, 100],
      ['bytes=0-0', 206, 'bytes 0-0/1000', 0, 1],
      ['bytes=900-', 206, 'bytes 900-999/1000', 900, 100],
      ['bytes=-100', 206, 'bytes 900-999/1000', 900, 100],
      ['bytes=-5000', 206, 'bytes 0-999/1000', 0, 1000],
      ['bytes=990-2000', 206, 'bytes 990-999/1000', 990, 10],
      ['bytes=1000-', 416, 'bytes */1000', 0, -1],
      ['bytes=-0', 416, 'bytes */1000', 0, -1],
      ['bytes=5-2', 200, undefined, 0, 1000],
      ['bytes=0-1,5-6', 200, undefined, 0, 1000],
      ['items=0-1', 200, undefined, 0, 1000],
    ];
    for (const [range, status, contentRange, start, length] of cases) {
      const res = await get(server.url('/r'), { range });
      assert.equal(res.status, status, range);
      assert.equal(res.headers['content-range'], contentRange, range);
      if (length >= 0) assert.deepEqual(res.body, contentBytes('/r', start, length), range);
    }
    server.addFile('/empty', { size: 0 });
    assert.equal((await get(server.url('/empty'))).headers['content-length'], '0');
    assert.equal((await get(server.url('/empty'), { range: 'bytes=0-' })).headers['content-range'], 'bytes */0');
  }));

test('If-Range: strong ETag or exact Last-Modified keep the range; anything else gets the full body', () =>
  withServer(async (server) => {
    server.addFile('/f', { size: 500 });
    server.addFile('/weak', { size: 500, weakEtag: true });
    const { etag, lastModified } = server.file('/f');
    const cases: Array<[path: string, ifRange: string, status: number]> = [
      ['/f', etag ?? '', 206],
      ['/f', '"something-else"', 200],
      ['/f', `W/${etag}`, 200],
      ['/f', lastModified ?? '', 206],
      ['/f', 'Tue, 02 Jan 2024 00:00:00 GMT', 200],
      ['/weak', server.file('/weak').etag ?? '', 200],
    ];
    for (const [path, ifRange, status] of cases) {
      const res = await get(server.url(path), { range: 'bytes=100-199', 'if-range': ifRange });
      assert.equal(res.status, status, `${path} If-Range ${ifRange}`);
      assert.equal(res.body.length, status === 206 ? 100 : 500);
    }
    assert.equal(server.requests[0]?.ifRange, etag);
  }));

test('If-None-Match and If-Modified-Since answer 304', () =>
  withServer(async (server) => {
    server.addFile('/c', { size: 10 });
    const { etag, lastModified } = server.file('/c');
    const cases: Array<[headers: Record<string, string>, status: number]> = [
      [{ 'if-none-match': etag ?? '' }, 304],
      [{ 'if-none-match': `"x", W/${etag}` }, 304],
      [{ 'if-none-match': '*' }, 304],
      [{ 'if-none-match': '"x"' }, 200],
      [{ 'if-modified-since': lastModified ?? '' }, 304],
      [{ 'if-modified-since': 'Sun, 31 Dec 2023 00:00:00 GMT' }, 200],
      [{ 'if-none-match': '"x"', 'if-modified-since': lastModified ?? '' }, 200],
    ];
    for (const [headers, status] of cases) {
      const res = await get(server.url('/c'), headers);
      assert.equal(res.status, status, JSON.stringify(headers));
      if (status === 304) assert.equal(res.body.length, 0);
    }
  }));

test('HEAD modes, no-range and chunked files, digests', () =>
  withServer(async (server) => {
    server.addFile('/ok', { size: 77 });
    server.addFile('/refuse', { size: 77, head: 'refuse' });
    server.addFile('/lie', { size: 77, head: 'lie' });
    server.addFile('/lie2', { size: 77, head: 'lie', headLength: 5 });
    server.addFile('/nolen', { size: 77, head: 'no-length' });
    const heads: Array<[path: string, status: number, length: string | undefined]> = [
      ['/ok', 200, '77'], ['/refuse', 405, undefined], ['/lie', 200, '1101'], ['/lie2', 200, '5'], ['/nolen', 200, undefined],
    ];
    for (const [path, status, length] of heads) {
      const res = await get(server.url(path), {}, 'HEAD');
      assert.equal(res.status, status, path);
      if (status === 200) assert.equal(res.headers['content-length'], length, path);
    }
    assert.equal((await get(server.url('/lie'))).body.length, 77);

    server.addFile('/noranges', { size: 300, acceptRanges: false });
    const noRanges = await get(server.url('/noranges'), { range: 'bytes=10-19' });
    assert.equal(noRanges.status, 200);
    assert.equal(noRanges.headers['accept-ranges'], undefined);
    assert.equal(noRanges.body.length, 300);

    server.addFile('/chunked', { size: 300_000, contentLength: false });
    const chunked = await get(server.url('/chunked'));
    assert.equal(chunked.headers['content-length'], undefined);
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(chunked.body, contentBytes('/chunked', 0, 300_000));
    assert.equal((await get(server.url('/chunked'), { range: 'bytes=0-9' })).headers['content-length'], '10');

    const b64 = (alg: string): string => createHash(alg).update(contentBytes('/d', 0, 1234)).digest('base64');
    const digests: Array<[mode: 'repr-digest-sha256' | 'repr-digest-sha512' | 'digest-sha256', header: string, value: string]> = [
      ['repr-digest-sha256', 'repr-digest', `sha-256=:${b64('sha256')}:`],
      ['repr-digest-sha512', 'repr-digest', `sha-512=:${b64('sha512')}:`],
      ['digest-sha256', 'digest', `SHA-256=${b64('sha256')}`],
    ];
    for (const [digest, header, value] of digests) {
      server.addFile('/d', { size: 1234, digest });
      assert.equal((await get(server.url('/d'), { range: 'bytes=0-0' })).headers[header], value, digest);
    }
    server.addFile('/d', { size: 1234, digest: 'wrong-repr-digest' });
    const wrong = (await get(server.url('/d'))).headers['repr-digest'];
    assert.match(String(wrong), /^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    assert.notEqual(wrong, `sha-256=:${b64('sha256')}:`);
  }));

test('404, 405, redirects, required headers and many small files', () =>
  withServer(async (server) => {
    const missing = await get(server.url('/nope'));
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /<html>/);
    server.addFile('/f', { size: 3, requireHeaders: { Authorization: 'Bearer t' } });
    assert.equal((await get(server.url('/f'), {}, 'POST')).status, 405);
    assert.equal((await get(server.url('/f'))).status, 401);
    assert.equal((await get(server.url('/f'), { authorization: 'Bearer t' })).status, 200);
    server.addRedirect('/old', '/f', 301);
    const moved = await get(server.url('/old'));
    assert.equal(moved.status, 301);
    assert.equal(moved.headers['location'], '/f');
    const paths = server.addFiles('/many/', 3, (i) => ({ size: i + 1 }));
    assert.deepEqual(paths, ['/many/0000.bin', '/many/0001.bin', '/many/0002.bin']);
    assert.equal((await get(server.url('/many/0002.bin'))).body.length, 3);
  }));

test('versions change content, ETag and Last-Modified; mutate changes the spec', () =>
  withServer(async (server) => {
    server.addFile('/v', { size: 64 });
    const v1 = await get(server.url('/v'));
    server.setVersion('/v', 2);
    const v2 = await get(server.url('/v'));
    assert.notEqual(v1.headers['etag'], v2.headers['etag']);
    assert.notEqual(v1.headers['last-modified'], v2.headers['last-modified']);
    assert.notDeepEqual(v1.body, v2.body);
    const file = server.file('/v');
    assert.equal(file.version, 2);
    assert.deepEqual(v2.body, contentBytes(file.seed, 0, 64));
    assert.deepEqual(v2.body, file.bytes());
    server.mutate('/v', { etag: 'fixed', lastModified: false });
    const fixed = await get(server.url('/v'));
    assert.equal(fixed.headers['etag'], '"fixed"');
    assert.equal(fixed.headers['last-modified'], undefined);
  }));

test('records requests, attempts per method, sockets, and reset() clears them', () =>
  withServer(async (server) => {
    server.addFile('/p', { size: 10 });
    await get(server.url('/p?token=1'), { 'X-Custom': 'Yes', range: 'bytes=1-2' });
    await get(server.url('/p'), {}, 'HEAD');
    await get(server.url('/p'));
    const [first, head, second] = server.requests;
    assert.equal(first?.url, '/p?token=1');
    assert.equal(first?.path, '/p');
    assert.equal(first?.headers['x-custom'], 'Yes');
    assert.equal(first?.range, 'bytes=1-2');
    assert.equal(first?.status, 206);
    assert.deepEqual([first?.attempt, head?.attempt, second?.attempt], [1, 1, 2]);
    assert.equal(first?.socketId, second?.socketId, 'keep-alive reuses the socket');
    assert.deepEqual(server.stats.requestsByPath, { '/p': 3 });
    server.reset();
    assert.equal(server.requests.length, 0);
    assert.equal(server.stats.bytesServed, 0);
    await get(server.url('/p'));
    assert.equal(server.requests[0]?.attempt, 1);
  }));

test('stats count concurrent connections and requests; a second origin is separate', async () => {
  const server = await startFixtureServer();
  const other = await startFixtureServer({ host: '127.0.0.2' });
  try {
    assert.match(other.origin, /^http:\/\/127\.0\.0\.2:\d+$/);
    server.addFile('/slow', { size: 1000, faults: [{ type: 'stall', afterBytes: 10 }] });
    const sockets: Socket[] = [];
    const pending = [1, 2, 3].map(() =>
      rawRequest(server.origin, '/slow', { timeoutMs: 5000, onSocket: (s) => sockets.push(s) }),
    );
    for (let i = 0; i < 200 && server.stats.currentRequests < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.stats.maxConcurrentConnections, 3);
    assert.equal(server.stats.maxConcurrentRequests, 3);
    assert.equal(server.stats.connectionsOpened, 3);
    assert.equal(new Set(server.requests.map((r) => r.socketId)).size, 3);
    for (const socket of sockets) socket.destroy();
    await Promise.allSettled(pending);
    for (let i = 0; i < 200 && server.stats.currentConnections > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.stats.currentConnections, 0);
    assert.equal(server.stats.currentRequests, 0);
    other.addFile('/x', { size: 1 });
    assert.equal((await get(other.url('/x'))).status, 200);
    assert.equal(other.requests.length, 1);
    assert.equal(server.stats.requestsByPath['/x'], undefined);
  } finally {
    await Promise.all([server.close(), other.close()]);
  }
});

test('close() resolves promptly with idle keep-alive sockets and a response stalled forever', async () => {
  const server = await startFixtureServer();
  server.addFile('/a', { size: 10 });
  server.addFile('/stuck', { size: 10, faults: [{ type: 'stall', afterBytes: 1 }] });
  await get(server.url('/a'));
  const stuck = rawRequest(server.origin, '/stuck', { timeoutMs: 10_000 });
  for (let i = 0; i < 200 && server.stats.currentRequests < 1; i++) await new Promise((r) => setTimeout(r, 10));
  // keepAliveTimeout is 5 s: finishing well before that proves the sockets were destroyed, not waited for.
  const outcome = await Promise.race([
    server.close().then(() => 'closed'),
    new Promise((r) => setTimeout(r, 3000, 'timed out')),
  ]);
  assert.equal(outcome, 'closed');
  assert.equal((await stuck).endedBy, 'close');
});

test('serves a large body intact under backpressure', () =>
  withServer(async (server) => {
    const size = 32 * 1024 * 1024 + 5;
    server.addFile('/big', { size });
    const res = await request(server.url('/big'));
    const hash = createHash('sha256');
    for await (const chunk of res.body) hash.update(chunk as Buffer);
    assert.equal(hash.digest('hex'), server.file('/big').sha256);
    assert.equal(server.stats.bytesServed, size);
  }));

test('addText serves exactly that text, whole and in ranges, with its sha256', () =>
  withServer(async (server) => {
    const text = 'héllo  SHA256SUMS\n';
    server.addText('/SUMS', text);
    const whole = await get(server.url('/SUMS'));
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(whole.body.toString('utf8'), text);
    const part = await get(server.url('/SUMS'), { range: 'bytes=1-3' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1-3/${Buffer.byteLength(text)}`);
    assert.deepEqual(part.body, Buffer.from(text).subarray(1, 4));
    assert.equal(server.file('/SUMS').sha256, createHash('sha256').update(text).digest('hex'));
    assert.throws(() => server.addFile('/bad', { size: 1, body: 'two' }), /Expected size 3/);
  }));
