import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { contentBytes } from './content.js';
import { selectFaults, type Fault } from './faults.js';
import { startFixtureServer, type FixtureServer } from './fixture-server.js';
import { rawRequest } from './raw-http.js';

async function withServer(fn: (server: FixtureServer) => Promise<void>): Promise<void> {
  const server = await startFixtureServer();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function statusOf(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<number> {
  const res = await request(url, { method, headers });
  await res.body.dump();
  return res.statusCode;
}

test('selectFaults counts per fault, after its filters, and lets change-version combine', () => {
  const faults: Fault[] = [
    { type: 'change-version', attempts: [2] },
    { type: 'status', status: 503, firstN: 1, rangeStart: 'nonzero' },
    { type: 'reset', afterBytes: 0, attempts: [2] },
  ];
  const hits: number[] = [];
  const pick = (rangeStart: number | undefined): string[] => {
    const { fault, changeVersion } = selectFaults(faults, hits, { method: 'GET', rangeStart });
    return [...(changeVersion ? ['change-version'] : []), ...(fault ? [fault.type] : [])];
  };
  assert.deepEqual(pick(0), []);
  assert.deepEqual(pick(100), ['change-version', 'status'], 'first applicable fault wins; reset is counted but unused');
  assert.deepEqual(pick(100), []);
  assert.deepEqual(hits, [3, 2, 3]);
  assert.deepEqual(selectFaults(faults, [], { method: 'HEAD', rangeStart: undefined }), { fault: undefined, changeVersion: false });
});

test('status faults hit the configured attempts, with Retry-After and an HTML body', () =>
  withServer(async (server) => {
    server.addFile('/s', { size: 100, faults: [{ type: 'status', status: 503, retryAfter: '1', attempts: [1, 2] }] });
    const res = await request(server.url('/s'));
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '1');
    assert.match(await res.body.text(), /503 Service Unavailable/);
    assert.equal(await statusOf(server.url('/s')), 503);
    assert.equal(await statusOf(server.url('/s')), 200);
    assert.deepEqual(server.requests.map((r) => r.faults), [['status'], ['status'], []]);

    server.addFile('/n', { size: 100, faults: [{ type: 'status', status: 429, firstN: 1, body: 'slow down' }] });
    const limited = await request(server.url('/n'));
    assert.equal(await limited.body.text(), 'slow down');
    assert.equal(await statusOf(server.url('/n')), 200);

    server.addFile('/h', { size: 100, faults: [{ type: 'status', status: 500, method: 'HEAD' }] });
    assert.equal(await statusOf(server.url('/h'), {}, 'HEAD'), 500);
    assert.equal(await statusOf(server.url('/h')), 200);
  }));

test('range filters: a fault for the range at 500 leaves other ranges alone, and counts its own attempts', () =>
  withServer(async (server) => {
    server.addFile('/r', { size: 1000, faults: [{ type: 'status', status: 500, rangeStart: 500, attempts: [1] }] });
    assert.equal(await statusOf(server.url('/r'), { range: 'bytes=0-499' }), 206);
    assert.equal(await statusOf(server.url('/r')), 200);
    assert.equal(await statusOf(server.url('/r'), { range: 'bytes=500-' }), 500);
    assert.equal(await statusOf(server.url('/r'), { range: 'bytes=500-' }), 206);
  }));

test('reset, short and stall cut the body after exactly the configured bytes', () =>
  withServer(async (server) => {
    server.addFile('/reset', { size: 10_000, faults: [{ type: 'reset', afterBytes: 1000 }] });
    server.addFile('/rst', { size: 10_000, faults: [{ type: 'reset', afterBytes: 0, rst: true }] });
    server.addFile('/short', { size: 10_000, faults: [{ type: 'short', bytes: 2500 }] });
    server.addFile('/stuck', { size: 10_000, faults: [{ type: 'stall', afterBytes: 100 }] });
    const cases: Array<[path: string, bytes: number, endedBy: string[]]> = [
      ['/reset', 1000, ['close']],
      ['/rst', 0, ['close', 'error']],
      ['/short', 2500, ['close']],
      ['/stuck', 100, ['timeout']],
    ];
    for (const [path, bytes, endedBy] of cases) {
      const res = await rawRequest(server.origin, path, { timeoutMs: 300 });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-length'], '10000', path);
      assert.deepEqual(res.body, contentBytes(path, 0, bytes), path);
      assert.ok(endedBy.includes(res.endedBy), `${path} ended by ${res.endedBy}`);
    }
    await assert.rejects(async () => (await request(server.url('/short'))).body.arrayBuffer());
  }));

test('a stall with a duration pauses, then sends the rest', () =>
  withServer(async (server) => {
    server.addFile('/pause', { size: 5000, faults: [{ type: 'stall', afterBytes: 10, ms: 250 }] });
    const res = await rawRequest(server.origin, '/pause', { headers: { range: 'bytes=100-' } });
    assert.equal(res.status, 206);
    assert.deepEqual(res.body, contentBytes('/pause', 100, 4900));
    assert.ok(res.elapsedMs >= 200, `elapsed ${res.elapsedMs}`);
  }));

test('long sends bytes past the announced end, raw or inside Content-Length', () =>
  withServer(async (server) => {
    server.addFile('/long', { size: 1000, faults: [{ type: 'long', extra: 50 }] });
    const raw = await rawRequest(server.origin, '/long', { headers: { range: 'bytes=0-99' } });
    assert.equal(raw.headers['content-range'], 'bytes 0-99/1000');
    assert.equal(raw.headers['content-length'], '100');
    assert.deepEqual(raw.body, contentBytes('/long', 0, 150));

    server.addFile('/longer', { size: 1000, faults: [{ type: 'long', extra: 50, inContentLength: true }] });
    const framed = await rawRequest(server.origin, '/longer', { headers: { range: 'bytes=0-99' } });
    assert.equal(framed.headers['content-range'], 'bytes 0-99/1000');
    assert.equal(framed.headers['content-length'], '150');
    assert.deepEqual(framed.body, contentBytes('/longer', 0, 150));
  }));

test('wrong-content-range, ignore-range, redirect and change-version', () =>
  withServer(async (server) => {
    server.addFile('/shift', { size: 1000, faults: [{ type: 'wrong-content-range', shift: 10 }] });
    const shifted = await request(server.url('/shift'), { headers: { range: 'bytes=100-199' } });
    assert.equal(shifted.headers['content-range'], 'bytes 110-209/1000');
    assert.deepEqual(Buffer.from(await shifted.body.arrayBuffer()), contentBytes('/shift', 110, 100));

    server.addFile('/ignore', { size: 1000, faults: [{ type: 'ignore-range', rangeStart: 'range' }] });
    const ignored = await request(server.url('/ignore'), { headers: { range: 'bytes=100-199' } });
    assert.equal(ignored.statusCode, 200);
    assert.equal((await ignored.body.arrayBuffer()).byteLength, 1000);

    const other = await startFixtureServer();
    try {
      other.addFile('/there', { size: 5 });
      server.addFile('/moved', { size: 5, faults: [{ type: 'redirect', status: 307, location: other.url('/there'), firstN: 1 }] });
      const moved = await request(server.url('/moved'));
      await moved.body.dump();
      assert.equal(moved.statusCode, 307);
      assert.equal(moved.headers['location'], other.url('/there'));
      assert.equal(await statusOf(server.url('/moved')), 200);
    } finally {
      await other.close();
    }

    server.addFile('/cv', { size: 100, faults: [{ type: 'change-version', attempts: [2] }] });
    const first = await request(server.url('/cv'));
    const firstBody = Buffer.from(await first.body.arrayBuffer());
    const second = await request(server.url('/cv'), { headers: { range: 'bytes=0-', 'if-range': String(first.headers['etag']) } });
    assert.equal(second.statusCode, 200, 'the new version no longer matches If-Range');
    assert.notEqual(second.headers['etag'], first.headers['etag']);
    assert.notDeepEqual(Buffer.from(await second.body.arrayBuffer()), firstBody);
    assert.equal(server.file('/cv').version, 2);
  }));

test('throttle paces the body (loosely)', () =>
  withServer(async (server) => {
    server.addFile('/t', { size: 200 * 1024, throttle: 400 * 1024 });
    const res = await rawRequest(server.origin, '/t');
    assert.deepEqual(res.body, contentBytes('/t', 0, 200 * 1024));
    assert.ok(res.elapsedMs >= 300, `elapsed ${res.elapsedMs}`);
  }));
