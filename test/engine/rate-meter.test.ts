import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RATE_METER, medianRate, RateMeter, smoothSetupCost, type RateMeterOptions } from '../../src/engine/rate-meter.js';

const KiB = 1024;

/** Feeds `chunks` ([ms since open, bytes]) to a meter opened at t = 1000 and returns it. */
function fed(chunks: ReadonlyArray<readonly [number, number]>, options: RateMeterOptions = DEFAULT_RATE_METER): RateMeter {
  const meter = new RateMeter(1000, options);
  for (const [at, bytes] of chunks) meter.add(1000 + at, bytes);
  return meter;
}

/** `count` chunks of `bytes`, every `everyMs`, starting at `from` (ms since open). */
function steady(from: number, everyMs: number, count: number, bytes: number): Array<[number, number]> {
  return Array.from({ length: count }, (_, i) => [from + i * everyMs, bytes]);
}

test('setupMs is the time to first byte; total counts every byte', () => {
  const meter = fed([[250, 100], [260, 100]]);
  assert.equal(meter.setupMs, 250);
  assert.equal(meter.total, 200);
  assert.equal(new RateMeter(5).setupMs, undefined);
});

test('rate: warm-up, window, stalls (table)', () => {
  const cases: Array<{ name: string; chunks: Array<[number, number]>; at: number; expected: number | undefined; tolerance?: number }> = [
    { name: 'nothing yet', chunks: [], at: 500, expected: undefined },
    // A 64 KiB burst at first byte ends the warm-up at once; 1 MiB/s after it.
    { name: 'burst, then 1 MiB/s', chunks: [[100, 64 * KiB], ...steady(200, 100, 20, 100 * KiB + 24 * 1024 / 10)], at: 2100, expected: 1024 * KiB, tolerance: 0.1 },
    // 20 KiB/s never reaches 64 KiB quickly: the 300 ms warm-up ends it, so a crawler is measurable within a second.
    { name: 'crawler measurable after 300 ms', chunks: steady(100, 100, 10, 2 * KiB), at: 1000, expected: 20 * KiB, tolerance: 0.35 },
    { name: 'warm but too short a span', chunks: steady(100, 50, 8, 1 * KiB), at: 500, expected: undefined },
    // The burst before the warm-up ended is not counted: 10 MiB in the first 100 ms, then 100 KiB/s.
    { name: 'burst excluded', chunks: [[100, 10 * 1024 * KiB], ...steady(200, 100, 20, 10 * KiB)], at: 2100, expected: 100 * KiB, tolerance: 0.1 },
    // Only the last 1.5 s count: fast for 3 s, then 10× slower for 2 s.
    { name: 'window follows a slow-down', chunks: [[100, 64 * KiB], ...steady(200, 100, 30, 100 * KiB), ...steady(3200, 100, 20, 10 * KiB)], at: 5100, expected: 100 * KiB, tolerance: 0.1 },
    // A stall: nothing after t = 2 s; 2 s later the window holds no bytes.
    { name: 'stalled connection falls to 0', chunks: [[100, 64 * KiB], ...steady(200, 100, 18, 50 * KiB)], at: 4000, expected: 0 },
  ];
  for (const c of cases) {
    const rate = fed(c.chunks).rate(1000 + c.at);
    if (c.expected === undefined || c.expected === 0) {
      assert.equal(rate, c.expected, c.name);
      continue;
    }
    assert.ok(rate !== undefined, `${c.name}: no rate`);
    const error = Math.abs(rate - c.expected) / c.expected;
    assert.ok(error <= (c.tolerance ?? 0), `${c.name}: ${Math.round(rate)} B/s, expected about ${c.expected}`);
  }
});

test('warm-up ends on bytes or time, whichever comes first', () => {
  const options = { ...DEFAULT_RATE_METER, warmupBytes: 1000, warmupMs: 300 };
  assert.equal(fed([[10, 999]], options).warm, false);
  assert.equal(fed([[10, 1000]], options).warm, true);
  assert.equal(fed([[10, 10], [309, 10]], options).warm, false);
  assert.equal(fed([[10, 10], [310, 10]], options).warm, true);
});

test('memory stays bounded whatever the chunk rate', () => {
  const meter = new RateMeter(0);
  for (let t = 0; t < 60_000; t += 1) meter.add(t, 1000);
  const rate = meter.rate(60_000);
  assert.ok(rate !== undefined && Math.abs(rate - 1_000_000) / 1_000_000 < 0.1, String(rate));
});

test('smoothSetupCost and medianRate (table)', () => {
  const smooth: Array<[number | undefined, number, number]> = [
    [undefined, 120, 120],
    [100, 200, 130],
    [100, 0, 70],
    [50, 50, 50],
  ];
  for (const [previous, sample, expected] of smooth) assert.equal(smoothSetupCost(previous, sample), expected, `${previous} ${sample}`);
  for (const bad of [-1, Number.NaN, Infinity]) assert.throws(() => smoothSetupCost(1, bad), RangeError);
  const medians: Array<[Array<number | undefined>, number | undefined]> = [
    [[], undefined],
    [[undefined, undefined], undefined],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, undefined, 3, 2], 2.5],
  ];
  for (const [rates, expected] of medians) assert.equal(medianRate(rates), expected, JSON.stringify(rates));
});
