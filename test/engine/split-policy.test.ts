import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balancedSplitPoint,
  chooseSplit,
  DEFAULT_SPLIT_RULES,
  remainingMs,
  splitRulesFor,
  targetParts,
  splitThresholdMs,
  worthSplitting,
  type MeasuredRange,
} from '../../src/engine/split-policy.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const MB = 1_000_000;
const rules = DEFAULT_SPLIT_RULES;

const range = (position: number, end: number, rate: number | undefined, id = 1): MeasuredRange => ({ id, position, end, rate });

test('splitRulesFor: the user floor only raises the 256 KiB default', () => {
  assert.equal(DEFAULT_SPLIT_RULES.floor, 256 * KiB);
  assert.equal(splitRulesFor(64 * KiB).floor, 256 * KiB);
  assert.equal(splitRulesFor(4 * MiB).floor, 4 * MiB);
});

test('remainingMs and the threshold (table)', () => {
  const remaining: Array<[MeasuredRange, number | undefined]> = [
    [range(0, 8 * MB, 1 * MB), 8000],
    [range(6 * MB, 8 * MB, 1 * MB), 2000],
    [range(0, 1000, 0), Infinity],
    [range(0, 1000, undefined), undefined],
    [range(500, 500, 10), 0],
  ];
  for (const [r, expected] of remaining) assert.equal(remainingMs(r), expected, JSON.stringify(r));
  const thresholds: Array<[number, number]> = [
    [0, 2000],
    [500, 2000],
    [700, 2100],
    [3000, 9000],
  ];
  for (const [setup, expected] of thresholds) assert.equal(splitThresholdMs(setup, rules), expected, String(setup));
});

test('worthSplitting: time left against setup cost, and two floors (table)', () => {
  const cases: Array<[string, MeasuredRange, number, boolean]> = [
    ['8 MB at 1 MB/s, cheap connections: 8 s left', range(0, 8 * MB, 1 * MB), 20, true],
    ['2 MB at 200 KB/s: 10 s left', range(0, 2 * MB, 200_000), 20, true],
    ['1.5 s left is not worth a connection', range(0, 1.5 * MB, 1 * MB), 20, false],
    ['2 s left exactly is not above the threshold', range(0, 2 * MB, 1 * MB), 20, false],
    ['10 s left but a connection costs 4 s (threshold 12 s)', range(0, 10 * MB, 1 * MB), 4000, false],
    ['30 s left, connection 4 s', range(0, 30 * MB, 1 * MB), 4000, true],
    ['fast unthrottled 64 MiB: 64 ms left', range(0, 64 * MiB, 1000 * MiB), 1, false],
    ['slow but under two floors', range(0, 2 * 256 * KiB - 1, 1000), 20, false],
    ['exactly two floors, slow', range(0, 2 * 256 * KiB, 1000), 20, true],
    ['stalled range of 1 MiB', range(0, 1 * MiB, 0), 20, true],
    ['not measured yet', range(0, 100 * MB, undefined), 20, false],
  ];
  for (const [name, r, setup, expected] of cases) assert.equal(worthSplitting(r, setup, rules), expected, name);
  assert.equal(worthSplitting(range(0, 8 * MB, 1 * MB), 20, splitRulesFor(4 * MiB)), false, 'a user floor of 4 MiB keeps 8 MB whole');
});

test('balancedSplitPoint: both parts finish together, aligned, floors kept (table)', () => {
  const align = { ...rules, alignment: 1 };
  const cases: Array<[string, MeasuredRange, number, number, typeof rules, number | undefined]> = [
    // Same rates, free connections: the middle.
    ['equal rates', range(0, 8 * MB, 1 * MB), 1 * MB, 0, align, 4 * MB],
    // Setup 1 s at 1 MB/s: the old connection gets 1 MB more. T = (8 MB + 1 MB)/2 MB/s = 4.5 s.
    ['setup cost shifts the point', range(0, 8 * MB, 1 * MB), 1 * MB, 1000, align, 4.5 * MB],
    // New connection 3× faster: it takes three quarters.
    ['faster newcomer', range(0, 8 * MB, 1 * MB), 3 * MB, 0, align, 2 * MB],
    // Stalled: everything but the floor moves.
    ['stalled keeps the floor', range(1000, 8 * MB, 0), 1 * MB, 0, align, 1000 + 256 * KiB],
    // A crawler at 1/100 of the newcomer keeps about 1 %, which is under the floor.
    ['crawler keeps the floor', range(0, 4 * MiB, 20 * KiB), 2 * MiB, 0, align, 256 * KiB],
    ['newcomer would get under the floor', range(0, 8 * MB, 100 * MB), 1000, 0, align, 8 * MB - 256 * KiB],
    ['too short for two floors', range(0, 512 * KiB - 1, 1), 1 * MB, 0, align, undefined],
    // Aligned to 64 KiB: 4,000,000 lies between 3,997,696 (61 × 64 KiB) and 4,063,232; the nearer wins.
    ['snaps to the nearest 64 KiB', range(0, 8 * MB, 1 * MB), 1 * MB, 0, rules, 61 * 64 * KiB],
    // Headed for 4 connections: the newcomer takes a quarter, the running side is cut again later.
    ['a quarter for the newcomer when 4 parts are wanted', range(0, 8 * MB, 1 * MB), 1 * MB, 0, align, 6 * MB],
    // When snapping would break a floor, the exact point stays.
    ['no snap across a floor', range(100, 100 + 512 * KiB, 1 * MB), 1 * MB, 0, rules, 100 + 256 * KiB],
  ];
  for (const [name, r, newRate, setup, theseRules, expected] of cases) {
    const parts = name.includes('4 parts') ? 4 : 2;
    assert.equal(balancedSplitPoint(r, newRate, setup, theseRules, parts), expected, name);
  }
});

test('chooseSplit: the range that finishes last, or nothing (table)', () => {
  const cases: Array<[string, MeasuredRange[], number, { id: number; at: number; end: number } | null]> = [
    ['one measured range of 8 MB at 1 MB/s', [range(0, 8 * MB, 1 * MB, 7)], 20, { id: 7, at: 61 * 64 * KiB, end: 8 * MB }],
    ['nothing measured yet', [range(0, 8 * MB, undefined, 7)], 20, null],
    ['every range ends soon', [range(0, 1 * MB, 1 * MB, 1), range(1 * MB, 2 * MB, 1 * MB, 2)], 20, null],
    [
      'the longest remaining time wins, not the most bytes',
      [range(0, 6 * MB, 2 * MB, 1), range(6 * MB, 10 * MB, 500_000, 2)],
      20,
      // Range 2 needs 8 s, range 1 only 3 s. Newcomer at the median, 1.25 MB/s, after 20 ms: both finish in
      // (4 MB + 1.25 MB/s × 20 ms) / 1.75 MB/s = 2.3 s, range 2 keeps 1.15 MB: 7,150,000 → 109 × 64 KiB.
      { id: 2, at: 109 * 64 * KiB, end: 10 * MB },
    ],
    ['setup too costly for any range', [range(0, 10 * MB, 1 * MB, 1)], 5000, null],
  ];
  for (const [name, active, setup, expected] of cases) {
    const work = chooseSplit({ active, setupMs: setup, rules });
    if (expected === null) assert.equal(work, null, name);
    else assert.deepEqual(work, { kind: 'split', ...expected, gain: expected.end - expected.at }, name);
  }
});

test('targetParts: free slots, floors and time each bound how many connections share a range (table)', () => {
  const cases: Array<[string, MeasuredRange, number, number]> = [
    // name, range, free slots, expected parts (setup 20 ms: threshold 2 s, so parts of at least 1 s)
    ['one free slot: halve', range(0, 8 * MB, 1 * MB), 1, 2],
    ['7 free, 8 s left: 8 parts of 1 s', range(0, 8 * MB, 1 * MB), 7, 8],
    ['7 free, 2 MB at 200 KB/s: 7 floors', range(0, 2 * MB, 200_000), 7, 7],
    ['15 free, 4.5 s left: 4 parts', range(0, 4.5 * MB, 1 * MB), 15, 4],
    ['at least 2 (the caller decided to split)', range(0, 1 * MB, 1 * MB), 7, 2],
  ];
  for (const [name, r, free, expected] of cases) assert.equal(targetParts(r, free, 20, rules), expected, name);
});

test('chooseSplit with free slots fills them in shares, not halvings', () => {
  // 2 MB at 200 KB/s with 7 slots free: the newcomer gets about a seventh (one share, aligned), not 1 MB.
  const work = chooseSplit({ active: [range(0, 2 * MB, 200_000, 1)], setupMs: 20, rules, free: 7 });
  assert.deepEqual(work, { kind: 'split', id: 1, at: 26 * 64 * KiB, end: 2 * MB, gain: 2 * MB - 26 * 64 * KiB });
});
