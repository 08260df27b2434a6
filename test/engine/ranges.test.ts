import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseWork,
  largestSplittable,
  segmentSizeFor,
  splitPoint,
  unassignedIntervals,
  type ActiveRange,
  type ChooseWorkInput,
  type Work,
} from '../../src/engine/ranges.js';
import type { Interval } from '../../src/storage/intervals.js';

const K = 1024;
const M = 1024 * 1024;
const iv = (start: number, end: number): Interval => ({ start, end });
const act = (id: number, position: number, end: number): ActiveRange => ({ id, position, end });
const take = (start: number, end: number): Work => ({ kind: 'take', start, end, gain: end - start });
const split = (id: number, at: number, end: number): Work => ({ kind: 'split', id, at, end, gain: end - at });

test('unassignedIntervals = missing minus active spans', () => {
  const cases: Array<[string, number, Interval[], ActiveRange[], Interval[]]> = [
    ['fresh file', 100, [], [], [iv(0, 100)]],
    ['one active covers all', 100, [], [act(1, 0, 100)], []],
    ['active progressed, fetched bytes are done', 100, [iv(0, 40)], [act(1, 40, 100)], []],
    ['holes around an active range', 10 * M, [iv(0, M)], [act(1, 2 * M, 5 * M)], [iv(M, 2 * M), iv(5 * M, 10 * M)]],
    ['finished active range ignored', 100, [iv(0, 50)], [act(1, 50, 50)], [iv(50, 100)]],
    ['size 0', 0, [], [], []],
  ];
  for (const [name, size, done, active, expected] of cases) {
    assert.deepEqual(unassignedIntervals(size, done, active), expected, name);
  }
  assert.throws(() => unassignedIntervals(100, [], [act(1, 60, 50)]), RangeError);
});

test('chooseWork picks the largest piece: take it whole, or split an active range', () => {
  const base = { minSplitSize: M };
  const cases: Array<[string, ChooseWorkInput, Work | null]> = [
    ['single active range splits in halves', { ...base, size: 10 * M, done: [], active: [act(1, 0, 10 * M)] }, split(1, 5 * M, 10 * M)],
    [
      'midpoint of a progressed range aligned up to 64 KiB',
      // mid = 5_500_000 → 84 × 65536
      { ...base, size: 10_000_000, done: [iv(0, 1_000_000)], active: [act(1, 1_000_000, 10_000_000)] },
      split(1, 5_505_024, 10_000_000),
    ],
    ['minSplitSize refuses a span under 2 × min', { ...base, size: 1.5 * M, done: [], active: [act(1, 0, 1.5 * M)] }, null],
    ['exactly 2 × min splits', { ...base, size: 2 * M, done: [], active: [act(1, 0, 2 * M)] }, split(1, M, 2 * M)],
    [
      'alignment falls back to the exact midpoint when aligning would break minSplitSize',
      { size: 200 * K, done: [], active: [act(1, 0, 200 * K)], minSplitSize: 100 * K },
      split(1, 100 * K, 200 * K),
    ],
    [
      'custom alignment',
      { size: 11_000, done: [iv(0, 1000)], active: [act(1, 1000, 11_000)], minSplitSize: 100, alignment: 4096 },
      split(1, 8192, 11_000),
    ],
    [
      'alignment 1 = exact midpoint',
      { size: 1001, done: [], active: [act(1, 0, 1001)], minSplitSize: 1, alignment: 1 },
      split(1, 500, 1001),
    ],
    [
      'unassigned preferred when larger',
      { ...base, size: 10 * M, done: [iv(0, M)], active: [act(1, M, 3 * M)] },
      take(3 * M, 10 * M),
    ],
    [
      'active range preferred when larger',
      { ...base, size: 10 * M, done: [], active: [act(1, 0, 8 * M)] },
      split(1, 4 * M, 8 * M),
    ],
    [
      'multiple holes after resume: the largest',
      { ...base, size: 10 * M, done: [iv(0, M), iv(3 * M, 4 * M), iv(9 * M, 10 * M)], active: [] },
      take(4 * M, 9 * M),
    ],
    [
      'unassigned taken however small once nothing can split',
      { ...base, size: 1.5 * M + 10, done: [], active: [act(1, 0, 1.5 * M)] },
      take(1.5 * M, 1.5 * M + 10),
    ],
    [
      'no active range splittable and nothing unassigned',
      { ...base, size: 3 * M, done: [iv(1.5 * M, 1.75 * M)], active: [act(1, 0, 1.5 * M), act(2, 1.75 * M, 3 * M)] },
      null,
    ],
    [
      'largest of several active ranges',
      { ...base, size: 12 * M, done: [iv(0, 2 * M), iv(4 * M, 6 * M)], active: [act(1, 2 * M, 4 * M), act(2, 6 * M, 12 * M)] },
      split(2, 9 * M, 12 * M),
    ],
    ['nothing left', { ...base, size: 10 * M, done: [iv(0, 10 * M)], active: [] }, null],
    ['empty file', { ...base, size: 0, done: [], active: [] }, null],
    [
      'tie between holes: lowest start',
      { ...base, size: 10 * M, done: [iv(0, M), iv(2 * M, 5 * M), iv(6 * M, 10 * M)], active: [] },
      take(M, 2 * M),
    ],
    [
      'tie active vs unassigned: active starts lower',
      { ...base, size: 4 * M, done: [], active: [act(7, 0, 2 * M)] },
      split(7, M, 2 * M),
    ],
    [
      'tie active vs unassigned: unassigned starts lower',
      { ...base, size: 4 * M, done: [], active: [act(7, 2 * M, 4 * M)] },
      take(0, 2 * M),
    ],
  ];
  for (const [name, input, expected] of cases) {
    assert.deepEqual(chooseWork(input), expected, name);
    assert.equal(largestSplittable(input), expected?.gain ?? 0, `${name}: largestSplittable`);
  }
});

test('split points stay inside the span with both halves >= minSplitSize', () => {
  const cases: Array<[number, number, number, number, number | undefined]> = [
    // position, end, minSplitSize, alignment, expected
    [0, 10, 5, 1, 5],
    [0, 9, 5, 1, undefined],
    [0, 10 * M, M, 64 * K, 5 * M],
    [100, 300, 40, 64, 256], // mid 200 aligned up
    [100, 300, 50, 64, 192], // up 256 leaves 44 < 50 → aligned down
    [100, 300, 90, 64, 192],
    [100, 300, 99, 64, 200],
    [100, 300, 101, 64, undefined],
  ];
  for (const [position, end, min, alignment, expected] of cases) {
    assert.equal(splitPoint(position, end, min, alignment), expected, JSON.stringify([position, end, min, alignment]));
  }
  assert.throws(() => chooseWork({ size: 10, done: [], active: [], minSplitSize: 0 }), RangeError);
  assert.throws(() => chooseWork({ size: 10, done: [], active: [], minSplitSize: 1, alignment: 0 }), RangeError);
});

test('with a segment size, unassigned bytes go out in file order, one segment at a time, before any split', () => {
  const seg = { minSplitSize: M, segmentSize: 4 * M };
  const cases: Array<[string, ChooseWorkInput, Work | null]> = [
    ['fresh file: the first segment', { ...seg, size: 100 * M, done: [], active: [] }, { kind: 'take', start: 0, end: 4 * M, gain: 4 * M }],
    [
      'next segment after the active one, even though a later hole is larger',
      { ...seg, size: 100 * M, done: [{ start: 50 * M, end: 60 * M }], active: [{ id: 1, position: 0, end: 4 * M }] },
      { kind: 'take', start: 4 * M, end: 8 * M, gain: 4 * M },
    ],
    ['a short last hole is taken as it is', { ...seg, size: 10 * M, done: [{ start: 0, end: 9 * M }], active: [] }, { kind: 'take', start: 9 * M, end: 10 * M, gain: M }],
    [
      'nothing unassigned: split the largest active span',
      { ...seg, size: 8 * M, active: [{ id: 1, position: 0, end: 4 * M }, { id: 2, position: 4 * M, end: 7 * M }], done: [{ start: 7 * M, end: 8 * M }] },
      { kind: 'split', id: 1, at: 2 * M, end: 4 * M, gain: 2 * M },
    ],
  ];
  for (const [name, input, expected] of cases) assert.deepEqual(chooseWork(input), expected, name);
});

test('segment sizes: about eight per connection, within minSplitSize and 32 MiB', () => {
  const cases: Array<[number, number, number, number]> = [
    // size, connections, minSplitSize, expected
    [1024 * M, 16, 4 * M, 8 * M],
    [256 * M, 16, 4 * M, 4 * M],
    [100 * K, 4, 4 * M, 4 * M],
    [64 * 1024 * M, 8, 4 * M, 32 * M],
    [1024 * M, 16, 64 * K, 8 * M],
    [10 * M, 16, 64 * K, 128 * K],
  ];
  for (const [size, connections, min, expected] of cases) {
    assert.equal(segmentSizeFor(size, connections, min), expected, JSON.stringify([size, connections, min]));
  }
});

test('with segments, one long open-ended range is cut after its current segment; the rest goes back to the pool', () => {
  const seg = { minSplitSize: M, segmentSize: 4 * M };
  assert.deepEqual(chooseWork({ ...seg, size: 100 * M, done: [{ start: 0, end: M }], active: [{ id: 1, position: M, end: 100 * M }] }), {
    kind: 'split',
    id: 1,
    at: 5 * M,
    end: 9 * M,
    gain: 4 * M,
  });
  // Not longer than two segments: the tail is halved as usual.
  assert.deepEqual(chooseWork({ ...seg, size: 8 * M, done: [], active: [{ id: 1, position: 0, end: 8 * M }] }), {
    kind: 'split',
    id: 1,
    at: 4 * M,
    end: 8 * M,
    gain: 4 * M,
  });
});
