import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { errors as undiciErrors, fetch, request } from 'undici';
import { StallError } from '../../src/errors.js';
import { chooseRetryDelay, classifyNetworkError, retryDelay, type BackoffOptions } from '../../src/engine/retry.js';
import { parseHttpDate, parseRetryAfter } from '../../src/http/retry-after.js';
import { isRetryableStatus } from '../../src/http/status.js';

test('retryDelay: doubling, capped, equal jitter', () => {
  const cases: Array<[number, number, BackoffOptions, number]> = [
    // attempt, random(), options, expected
    [1, 0, {}, 125],
    [1, 0.5, {}, 188],
    [1, 0.999999, {}, 250],
    [2, 0, {}, 250],
    [3, 0, {}, 500],
    [7, 1, {}, 16_000],
    [8, 0, {}, 15_000], // 250 × 128 = 32 000 → capped at 30 000
    [8, 1, {}, 30_000],
    [2000, 0, {}, 15_000], // 2 ** 1999 is Infinity; still capped
    [3, 0.5, { baseMs: 1000, maxMs: 5000 }, 3000],
    [1, 5, {}, 250], // a broken random source cannot push past the delay
    [1, -3, {}, 125],
  ];
  for (const [attempt, r, options, expected] of cases) {
    assert.equal(retryDelay(attempt, { ...options, random: () => r }), expected, JSON.stringify([attempt, r, options]));
  }
  for (let attempt = 1; attempt <= 40; attempt++) {
    assert.ok(retryDelay(attempt, { random: () => 0 }) >= 125, `attempt ${attempt} never instant`);
  }
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) assert.throws(() => retryDelay(bad), RangeError, String(bad));
});

const NOW = Date.UTC(2024, 0, 1, 0, 0, 0);

test('parseRetryAfter: delta-seconds or HTTP-date, garbage → undefined', () => {
  const cases: Array<[string | undefined, number | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['120', 120_000],
    [' 5 ', 5000],
    ['-1', undefined],
    ['+5', undefined],
    ['1.5', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['5 s', undefined],
    ['abc', undefined],
    ['99999999999999999999', Number.MAX_SAFE_INTEGER],
    ['Mon, 01 Jan 2024 00:00:30 GMT', 30_000],
    ['Sun, 31 Dec 2023 23:00:00 GMT', 0], // past
    ['Monday, 01-Jan-24 00:01:00 GMT', 60_000], // RFC 850
    ['Friday, 31-Dec-99 23:59:59 GMT', 0], // RFC 850, 1999
    ['Mon Jan  1 00:00:10 2024', 10_000], // asctime, GMT even though it says nothing
    ['Mon Jan 15 00:00:00 2024', 14 * 86_400_000],
    ['Mon, 32 Jan 2024 00:00:00 GMT', undefined],
    ['Thu, 30 Feb 2024 00:00:00 GMT', undefined],
    ['Mon, 01 Jan 2024 24:00:00 GMT', undefined],
    ['Mon, 01 Jan 2024 00:00:30 UTC', undefined],
    ['Mon, 1 Jan 2024 00:00:30 GMT', undefined],
    ['2024-01-01T00:00:30Z', undefined],
    ['Mon, 01 Jan 0050 00:00:30 GMT', undefined],
  ];
  for (const [value, expected] of cases) assert.equal(parseRetryAfter(value, NOW), expected, JSON.stringify(value));
});

test('RFC 850 two-digit years more than 50 years ahead mean the past century', () => {
  assert.equal(parseHttpDate('Tuesday, 01-Jan-70 00:00:00 GMT', NOW), Date.UTC(2070, 0, 1));
  assert.equal(parseHttpDate('Sunday, 01-Jan-75 00:00:00 GMT', NOW), Date.UTC(1975, 0, 1));
});

test('chooseRetryDelay: Retry-After is a floor, capped; otherwise backoff', () => {
  const r0 = { random: () => 0 };
  const cases: Array<[number, number | undefined, object, number]> = [
    // attempt, retryAfterMs, options, expected
    [1, undefined, r0, 125],
    [1, 10_000, r0, 10_000],
    [1, 0, r0, 125], // "retry now" still waits the backoff
    [8, 1000, r0, 15_000],
    [1, 120_000, r0, 60_000], // more than the cap → the cap
    [1, 10_000, { ...r0, capMs: 5000 }, 5000],
    [1, Number.NaN, r0, 125],
    [1, -5, r0, 125],
  ];
  for (const [attempt, retryAfter, options, expected] of cases) {
    assert.equal(chooseRetryDelay(attempt, retryAfter, options), expected, JSON.stringify([attempt, retryAfter, options]));
  }
});

test('isRetryableStatus', () => {
  const cases: Array<[number, boolean]> = [
    [200, false], [206, false], [301, false], [400, false], [401, false], [403, false], [404, false],
    [408, true], [416, false], [425, false], [429, true],
    [500, true], [501, false], [502, true], [503, true], [504, true], [505, false], [507, true], [599, true], [600, false],
  ];
  for (const [status, expected] of cases) assert.equal(isRetryableStatus(status), expected, String(status));
});

test('classifyNetworkError by code, through causes and aggregates', () => {
  const coded = (code: string): Error => Object.assign(new Error(code), { code });
  const cases: Array<[string, unknown, 'retry' | 'fatal']> = [
    ...['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH'].map(
      (code): [string, unknown, 'retry'] => [code, coded(code), 'retry'],
    ),
    ...['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ENOTFOUND', 'EACCES'].map(
      (code): [string, unknown, 'fatal'] => [code, coded(code), 'fatal'],
    ),
    ['undici SocketError', new undiciErrors.SocketError('other side closed'), 'retry'],
    ['undici ConnectTimeoutError', new undiciErrors.ConnectTimeoutError(), 'retry'],
    ['undici HeadersTimeoutError', new undiciErrors.HeadersTimeoutError(), 'retry'],
    ['undici BodyTimeoutError', new undiciErrors.BodyTimeoutError(), 'retry'],
    ['undici ClientClosedError', new undiciErrors.ClientClosedError(), 'retry'],
    ['undici RequestAbortedError', new undiciErrors.RequestAbortedError(), 'fatal'],
    ['undici ClientDestroyedError', new undiciErrors.ClientDestroyedError(), 'fatal'],
    ['pdl StallError', new StallError(30_000), 'retry'],
    ['fetch-style wrapper', new TypeError('fetch failed', { cause: coded('ECONNRESET') }), 'retry'],
    ['fetch-style wrapper of a TLS error', new TypeError('fetch failed', { cause: coded('CERT_HAS_EXPIRED') }), 'fatal'],
    ['aggregate of connect errors', new AggregateError([coded('ECONNREFUSED'), coded('ENETUNREACH')]), 'retry'],
    ['abort', new DOMException('aborted', 'AbortError'), 'fatal'],
    ['plain Error', new Error('bug'), 'fatal'],
    ['undefined', undefined, 'fatal'],
    ['string', 'ECONNRESET', 'fatal'],
  ];
  for (const [name, err, expected] of cases) assert.equal(classifyNetworkError(err), expected, name);
  // A cause cycle must not loop forever.
  const a: Error & { cause?: unknown } = new Error('a');
  a.cause = new Error('b', { cause: a });
  assert.equal(classifyNetworkError(a), 'fatal');
});

test('real connection refused, via undici request and fetch, is retryable', async () => {
  // Grab a free port, then close it so nothing listens there.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const url = `http://127.0.0.1:${address.port}/`;
  const viaRequest = await request(url).then(() => undefined, (error: unknown) => error);
  const viaFetch = await fetch(url).then(() => undefined, (error: unknown) => error);
  assert.ok(viaRequest !== undefined && viaFetch !== undefined);
  assert.equal(classifyNetworkError(viaRequest), 'retry');
  assert.equal(classifyNetworkError(viaFetch), 'retry');
});
