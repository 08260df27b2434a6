import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unassignedIntervals, type ActiveRange } from '../../src/engine/ranges.js';
import type { Interval } from '../../src/storage/intervals.js';

const M = 1024 * 1024;
const iv = (start: number, end: number): Interval => ({ start, end });
const act = (id: number, position: number, end: number): ActiveRange => ({ id, position, end });

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
