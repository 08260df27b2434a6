import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeValue } from '../../src/job/said.js';
import { closest, editDistance, unknownKeyMessage } from '../../src/job/suggest.js';

const KEYS = ['dir', 'connections', 'minSplitSize', 'retries', 'timeout', 'headers', 'ifExists'];

describe('editDistance', () => {
  const table: [string, string, number][] = [
    ['', '', 0],
    ['abc', 'abc', 0],
    ['conection', 'connections', 2],
    ['retires', 'retries', 1], // a transposition counts once
    ['Headers', 'headers', 0], // case-insensitive
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ];
  for (const [a, b, d] of table) it(`${a} ↔ ${b} = ${d}`, () => assert.equal(editDistance(a, b), d));
});

describe('closest', () => {
  const table: [string, string | undefined][] = [
    ['conection', 'connections'],
    ['connection', 'connections'],
    ['timout', 'timeout'],
    ['IfExists', 'ifExists'],
    ['minsplitsize', 'minSplitSize'],
    ['dri', 'dir'],
    ['url', undefined],
    ['bandwidth', undefined],
    ['di', 'dir'],
    ['x', undefined],
  ];
  for (const [word, guess] of table) it(`${word} → ${guess}`, () => assert.equal(closest(word, KEYS), guess));
});

describe('unknownKeyMessage', () => {
  it('suggests, then points elsewhere, then lists', () => {
    assert.equal(unknownKeyMessage('conection', KEYS), 'unknown key `conection`; did you mean `connections`?');
    assert.equal(unknownKeyMessage('url', KEYS, '`url` belongs in a file entry'), 'unknown key `url` here; `url` belongs in a file entry');
    assert.equal(unknownKeyMessage('zzz', ['a', 'b']), 'unknown key `zzz`; expected one of `a`, `b`');
  });
});

describe('describeValue', () => {
  const table: [unknown, string][] = [
    ['x', '"x"'],
    ['a'.repeat(70), `"${'a'.repeat(60)}…"`],
    [3, '3'],
    [true, 'true'],
    [null, 'an empty value (null)'],
    [undefined, 'nothing'],
    [[1], 'a list'],
    [{ a: 1 }, 'a mapping'],
  ];
  for (const [value, text] of table) it(text, () => assert.equal(describeValue(value), text));
});
