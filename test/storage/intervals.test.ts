import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addInterval,
  contiguousPrefix,
  isComplete,
  normalize,
  subtract,
  totalLength,
  type Interval,
} from '../../src/storage/intervals.js';

const iv = (start: number, end: number): Interval => ({ start, end });

test('normalize sorts, merges overlapping and touching intervals, drops empty ones', () => {
  const cases: Array<[string, Interval[], Interval[]]> = [
    ['empty list', [], []],
    ['single', [iv(3, 7)], [iv(3, 7)]],
    ['empty interval dropped', [iv(5, 5)], []],
    ['unsorted disjoint', [iv(10, 20), iv(0, 5)], [iv(0, 5), iv(10, 20)]],
    ['adjacent merged', [iv(0, 5), iv(5, 10)], [iv(0, 10)]],
    ['overlapping merged', [iv(0, 6), iv(4, 10)], [iv(0, 10)]],
    ['contained swallowed', [iv(0, 100), iv(10, 20)], [iv(0, 100)]],
    ['contained first in sort order', [iv(0, 5), iv(0, 100), iv(50, 60)], [iv(0, 100)]],
    ['gap of one byte kept', [iv(0, 5), iv(6, 10)], [iv(0, 5), iv(6, 10)]],
    ['chain', [iv(8, 12), iv(0, 3), iv(3, 8), iv(20, 20), iv(30, 31)], [iv(0, 12), iv(30, 31)]],
  ];
  for (const [name, input, expected] of cases) {
    const before = JSON.stringify(input);
    assert.deepEqual(normalize(input), expected, name);
    assert.equal(JSON.stringify(input), before, `${name}: input not mutated`);
  }
});

test('bad intervals throw RangeError', () => {
  const bad: Interval[] = [iv(5, 4), iv(-1, 3), iv(0.5, 3), iv(0, Number.NaN), iv(0, Infinity), iv(0, 2 ** 53)];
  for (const b of bad) {
    assert.throws(() => normalize([b]), RangeError, JSON.stringify(b));
    assert.throws(() => subtract(b, []), RangeError, JSON.stringify(b));
  }
  assert.throws(() => isComplete([], -1), RangeError);
  assert.throws(() => isComplete([], 1.5), RangeError);
});

test('addInterval returns a new normalised list', () => {
  const list = [iv(0, 10), iv(20, 30)];
  const cases: Array<[Interval, Interval[]]> = [
    [iv(10, 20), [iv(0, 30)]],
    [iv(12, 15), [iv(0, 10), iv(12, 15), iv(20, 30)]],
    [iv(40, 50), [iv(0, 10), iv(20, 30), iv(40, 50)]],
    [iv(5, 25), [iv(0, 30)]],
    [iv(7, 7), [iv(0, 10), iv(20, 30)]],
  ];
  for (const [add, expected] of cases) assert.deepEqual(addInterval(list, add), expected, JSON.stringify(add));
  assert.deepEqual(list, [iv(0, 10), iv(20, 30)]);
});

test('subtract returns the missing parts of the whole', () => {
  const cases: Array<[string, Interval, Interval[], Interval[]]> = [
    ['nothing done', iv(0, 100), [], [iv(0, 100)]],
    ['all done', iv(0, 100), [iv(0, 100)], []],
    ['done reaches outside', iv(10, 20), [iv(0, 50)], []],
    ['hole in middle', iv(0, 100), [iv(0, 40), iv(60, 100)], [iv(40, 60)]],
    ['head and tail missing', iv(0, 100), [iv(10, 90)], [iv(0, 10), iv(90, 100)]],
    ['unsorted overlapping done', iv(0, 100), [iv(50, 70), iv(0, 20), iv(15, 30)], [iv(30, 50), iv(70, 100)]],
    ['done entirely before', iv(50, 60), [iv(0, 50)], [iv(50, 60)]],
    ['done entirely after', iv(50, 60), [iv(60, 70)], [iv(50, 60)]],
    ['empty whole', iv(5, 5), [], []],
    ['straddling start', iv(10, 20), [iv(5, 12)], [iv(12, 20)]],
    ['straddling end', iv(10, 20), [iv(18, 25)], [iv(10, 18)]],
  ];
  for (const [name, whole, done, expected] of cases) assert.deepEqual(subtract(whole, done), expected, name);
});

test('totalLength, contiguousPrefix and isComplete', () => {
  const cases: Array<[Interval[], number, number, Array<[number, boolean]>]> = [
    // list, totalLength, contiguousPrefix, [size, complete]
    [[], 0, 0, [[0, true], [1, false]]],
    [[iv(0, 10)], 10, 10, [[10, true], [9, true], [11, false]]],
    [[iv(5, 10)], 5, 0, [[10, false], [0, true]]],
    [[iv(0, 6), iv(4, 10)], 10, 10, [[10, true]]],
    [[iv(20, 30), iv(0, 10), iv(10, 15)], 25, 15, [[15, true], [30, false]]],
    [[iv(0, 0), iv(0, 3)], 3, 3, [[3, true]]],
  ];
  for (const [list, total, prefix, completes] of cases) {
    const name = JSON.stringify(list);
    assert.equal(totalLength(list), total, `totalLength ${name}`);
    assert.equal(contiguousPrefix(list), prefix, `contiguousPrefix ${name}`);
    for (const [size, complete] of completes) assert.equal(isComplete(list, size), complete, `isComplete ${name} ${size}`);
  }
});
