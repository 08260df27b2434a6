import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DURATION_PATTERN, spellDuration, spellSize, parseDuration, parseRate, parseSize, QuantityError, RATE_PATTERN, SIZE_PATTERN,
} from '../../src/job/units.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('parseSize', () => {
  const accepted: [string | number, number][] = [
    ['4MiB', 4 * MiB],
    ['512KiB', 512 * KiB],
    ['1.5GB', 1_500_000_000],
    ['4m', 4 * MiB],
    ['4M', 4 * MiB],
    ['4k', 4 * KiB],
    ['4K', 4 * KiB],
    ['1g', GiB],
    ['2t', 2 * TiB],
    ['1TiB', TiB],
    ['1TB', 1e12],
    ['100B', 100],
    ['100b', 100],
    ['4096', 4096],
    ['0', 0],
    [0, 0],
    [65536, 65536],
    [' 4 MiB ', 4 * MiB],
    ['4mib', 4 * MiB],
    ['4kb', 4000],
    ['1.3k', 1331], // 1331.2: fractions with a unit round down
    ['4.35MB', 4_350_000], // exact arithmetic: floating point would give 4349999
    ['1.0B', 1],
    ['0.5KiB', 512],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ];
  for (const [input, bytes] of accepted) {
    it(`${JSON.stringify(input)} → ${bytes}`, () => assert.equal(parseSize(input), bytes));
  }

  const rejected: [unknown, RegExp][] = [
    ['-1', /^expected a size such as 4MiB, 512KiB, 1\.5GB or a whole number of bytes \(not negative\), got "-1"$/],
    [-1, /\(not negative\), got -1$/],
    ['abc', /^expected a size such as 4MiB, 512KiB, 1\.5GB or a whole number of bytes, got "abc"$/],
    ['', /, got ""$/],
    ['4 megs', /, got "4 megs"$/],
    ['4MiBs', /, got "4MiBs"$/],
    ['1e3', /, got "1e3"$/],
    ['.5k', /, got "\.5k"$/],
    ['NaN', /, got "NaN"$/],
    [Number.NaN, /, got NaN$/],
    [Number.POSITIVE_INFINITY, /, got Infinity$/],
    ['1.5', /\(whole bytes without a unit\), got "1\.5"$/],
    ['1.5B', /\(whole bytes without a unit\), got "1\.5B"$/],
    [1.5, /\(whole bytes without a unit\), got 1\.5$/],
    ['9999999TB', /\(at most 9007199254740991 bytes\), got "9999999TB"$/],
    [2 ** 60, /\(at most 9007199254740991\), got 1152921504606847000$/],
    [true, /, got true$/],
    [null, /, got null$/],
  ];
  for (const [input, message] of rejected) {
    it(`rejects ${String(input)}`, () => assert.throws(() => parseSize(input as string), (error: Error) => message.test(error.message)));
  }

  it('tells a value too large to count apart from a malformed one, for callers with their own bounds', () => {
    const table: Array<[() => number, boolean, string | undefined]> = [
      [() => parseSize('99999999999999999999TiB'), true, 'at most 9007199254740991 bytes'],
      [() => parseRate('99999999999999999999999TiB/s'), true, 'at most 9007199254740991 bytes'],
      [() => parseDuration('99999999999999999999h'), true, 'at most 9007199254740991 milliseconds'],
      [() => parseSize(2 ** 60), true, 'at most 9007199254740991'],
      [() => parseDuration('1.5'), false, 'whole milliseconds without a unit'],
      [() => parseSize('-1'), false, 'not negative'],
      [() => parseSize('lots'), false, undefined],
    ];
    for (const [parse, tooLarge, detail] of table) {
      assert.throws(parse, (error: unknown) => error instanceof QuantityError && error.tooLarge === tooLarge && error.detail === detail);
    }
  });

  it('accepts exactly what SIZE_PATTERN accepts', () => {
    const pattern = new RegExp(SIZE_PATTERN, 'u');
    const samples = ['4MiB', '4m', '1.5GB', '100B', '12', ' 3 k ', 'abc', '4 megs', '-1', '1e3', '4MiBs', '4kib', '4iB', '.5k', '4KIB'];
    for (const sample of samples) {
      let parses = true;
      try {
        parseSize(sample);
      } catch {
        parses = false;
      }
      assert.equal(pattern.test(sample), parses, sample);
    }
  });
});

describe('parseRate', () => {
  const table: [string | number, number][] = [
    ['50MiB', 50 * MiB],
    ['50MiB/s', 50 * MiB],
    ['50 MiB / s', 50 * MiB],
    ['1k/s', 1024],
    ['0', 0],
    [0, 0],
  ];
  for (const [input, bytes] of table) it(`${JSON.stringify(input)} → ${bytes}`, () => assert.equal(parseRate(input), bytes));
  it('rejects junk, naming the original input', () => {
    assert.throws(() => parseRate('fast/s'), { message: /^expected a rate such as 50MiB \(bytes per second, "\/s" optional\) or 0 for unlimited, got "fast\/s"$/ });
  });
  it('RATE_PATTERN agrees', () => {
    const pattern = new RegExp(RATE_PATTERN, 'u');
    for (const sample of ['50MiB/s', '1k', '0', '50MiB/h', 'x/s']) {
      assert.equal(pattern.test(sample), !/[hx]/.test(sample), sample);
    }
  });
});

describe('parseDuration', () => {
  const accepted: [string | number, number][] = [
    ['30s', 30_000],
    ['2m', 120_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1.0005s', 1000], // rounds down to whole milliseconds
    ['500', 500],
    [500, 500],
    ['24h', 86_400_000],
    ['30S', 30_000],
  ];
  for (const [input, ms] of accepted) it(`${JSON.stringify(input)} → ${ms}`, () => assert.equal(parseDuration(input), ms));

  const rejected: [unknown, RegExp][] = [
    ['30 sec', /^expected a duration such as 30s, 2m, 500ms, 1h or a whole number of milliseconds, got "30 sec"$/],
    ['-5s', /\(not negative\), got "-5s"$/],
    ['1.5', /\(whole milliseconds without a unit\), got "1\.5"$/],
    [1.5, /\(whole milliseconds without a unit\), got 1\.5$/],
    ['1d', /, got "1d"$/],
    ['99999999999999999h', /\(at most 9007199254740991 milliseconds\)/],
  ];
  for (const [input, message] of rejected) {
    it(`rejects ${String(input)}`, () => assert.throws(() => parseDuration(input as string), (error: Error) => message.test(error.message)));
  }

  it('DURATION_PATTERN agrees', () => {
    const pattern = new RegExp(DURATION_PATTERN, 'u');
    for (const sample of ['30s', '2m', '500ms', '1h', '1.5s', '500', '30 sec', '1d', '-1s', 'ms']) {
      let parses = true;
      try {
        parseDuration(sample);
      } catch {
        parses = false;
      }
      assert.equal(pattern.test(sample), parses, sample);
    }
  });
});

describe('spellSize / spellDuration', () => {
  const sizes: [number, string][] = [[65536, '64KiB'], [TiB, '1TiB'], [1500, '1500B'], [4 * MiB, '4MiB'], [0, '0B']];
  for (const [bytes, text] of sizes) it(`${bytes} → ${text}`, () => assert.equal(spellSize(bytes), text));
  const durations: [number, string][] = [[86_400_000, '24h'], [100, '100ms'], [1500, '1500ms'], [30_000, '30s'], [120_000, '2m']];
  for (const [ms, text] of durations) it(`${ms} → ${text}`, () => assert.equal(spellDuration(ms), text));
});
