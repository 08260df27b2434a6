import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathMatcher } from '../../src/cli/glob.js';

test('--only patterns: braces, classes, negation, ** and name-anywhere', () => {
  const cases: Array<[string[], string, boolean]> = [
    [['*.{iso,img}'], 'debian.iso', true],
    [['*.{iso,img}'], 'images/raspi.img', true],
    [['*.{iso,img}'], 'notes.txt', false],
    [['[lm]*.bin'], 'linux.bin', true],
    [['[lm]*.bin'], 'arch/mac.bin', true],
    [['[lm]*.bin'], 'win.bin', false],
    [['*.bin', '!big*'], 'small.bin', true],
    [['*.bin', '!big*'], 'big-1.bin', false],
    [['!*.iso'], 'readme.txt', true],
    [['!*.iso'], 'x/disk.iso', false],
    [['keep/*'], 'keep/a.bin', true],
    [['keep/*'], 'keep/sub/a.bin', false],
    [['keep/**'], 'keep/sub/a.bin', true],
    [['**/sub/*.bin'], 'keep/sub/a.bin', true],
    [['a?.bin'], 'ab.bin', true],
    [['a?.bin'], 'a/b.bin', false],
    [['*.bin'], '.hidden/a.bin', true],
  ];
  for (const [patterns, path, expected] of cases) {
    assert.equal(pathMatcher(patterns)(path), expected, `${patterns.join(' ')} on ${path}`);
  }
});
