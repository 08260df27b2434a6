import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBytes,
  formatDuration,
  formatEta,
  formatProgress,
  formatRange,
  formatSize,
  formatSpeed,
  oneLine,
} from '../../src/report/format.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

test('formatBytes uses binary units with one decimal and never prints 1024.0 of a unit', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1023.6, '1.0 KiB'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1.5 * MiB, '1.5 MiB'],
    [12 * MiB, '12.0 MiB'],
    [MiB - 1, '1.0 MiB'],
    [1023.94 * KiB, '1023.9 KiB'],
    [1.2 * GiB, '1.2 GiB'],
    [3.4 * GiB, '3.4 GiB'],
    [2 * 1024 * GiB, '2.0 TiB'],
    [-1, '? B'],
    [Number.NaN, '? B'],
    [Number.POSITIVE_INFINITY, '? B'],
  ];
  for (const [input, expected] of cases) assert.equal(formatBytes(input), expected, `formatBytes(${input})`);
});

test('formatSize says when the size is unknown', () => {
  assert.equal(formatSize(undefined), 'size unknown');
  assert.equal(formatSize(2 * MiB), '2.0 MiB');
});

test('formatSpeed appends /s and treats nonsense as zero', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B/s'],
    [512, '512 B/s'],
    [12.3 * MiB, '12.3 MiB/s'],
    [45 * MiB, '45.0 MiB/s'],
    [-5, '0 B/s'],
    [Number.NaN, '0 B/s'],
  ];
  for (const [input, expected] of cases) assert.equal(formatSpeed(input), expected, `formatSpeed(${input})`);
});

test('formatDuration picks ms, s, m+s or h+m and rounds across unit boundaries', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [850, '850ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1000, '1.0s'],
    [12_340, '12.3s'],
    [59_940, '59.9s'],
    [59_960, '1m00s'],
    [245_000, '4m05s'],
    [3_599_400, '59m59s'],
    [3_599_600, '1h00m'],
    [3_720_000, '1h02m'],
    [26 * 3_600_000 + 40 * 60_000, '26h40m'],
    [-1, '0ms'],
    [Number.NaN, '0ms'],
  ];
  for (const [input, expected] of cases) assert.equal(formatDuration(input), expected, `formatDuration(${input})`);
});

test('formatEta gives whole seconds under a minute and -- when it cannot know', () => {
  const cases: Array<[number | undefined, number, string]> = [
    [50 * MiB, MiB, '50s'],
    [49.5 * MiB, MiB, '50s'],
    [0, MiB, '0s'],
    [-3, MiB, '0s'],
    [65 * MiB, MiB, '1m05s'],
    [2 * 3600 * MiB, MiB, '2h00m'],
    [undefined, MiB, '--'],
    [MiB, 0, '--'],
    [MiB, Number.NaN, '--'],
    [Number.NaN, MiB, '--'],
  ];
  for (const [remaining, speed, expected] of cases) {
    assert.equal(formatEta(remaining, speed), expected, `formatEta(${remaining}, ${speed})`);
  }
});

test('formatRange writes both ends in the unit of the end', () => {
  const cases: Array<[number, number, string]> = [
    [123 * MiB, 456 * MiB, '123.0–456.0 MiB'],
    [0, 4 * MiB, '0.0–4.0 MiB'],
    [512 * KiB, 2 * GiB, '0.0–2.0 GiB'],
    [10, 900, '10–900 B'],
  ];
  for (const [start, end, expected] of cases) assert.equal(formatRange(start, end), expected);
});

test('formatProgress shows "of total" only when the total is known', () => {
  assert.equal(formatProgress(MiB, 4 * MiB), '1.0 MiB of 4.0 MiB');
  assert.equal(formatProgress(MiB, undefined), '1.0 MiB');
});

test('oneLine neutralises escapes and line breaks from untrusted text', () => {
  const cases: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['two\nlines\r\n', 'two lines '],
    ['\x1b[31mred\x1b[0m', '?[31mred?[0m'],
    ['csi \u009b2J', 'csi ?2J'],
    ['bell\x07', 'bell?'],
  ];
  for (const [input, expected] of cases) assert.equal(oneLine(input), expected);
});
