/**
 * withinBudgets, the fast path's budget check, must answer exactly what scanText's budgets do (neither too big nor
 * deep) while mostly skipping scanText's per-character loop: compared on random text where the answers differ often,
 * and at the edges of each budget.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LINES, MAX_VALUES, SCAN_LIMIT, scanText, withinBudgets } from '../../src/job/yaml-budget.js';
import { seededRandom } from './helpers.js';

function scanSays(text: string): boolean {
  const scan = scanText(text);
  return scan.tooBig === undefined && !scan.deep;
}

describe('withinBudgets', () => {
  it('agrees with scanText on random text full of indicators, brackets and deep indentation (fixed seed)', () => {
    const random = seededRandom(4242);
    const pieces = ['- ', '-', ': ', ':', '? ', '?', '[', '{', ',', ']', '}', 'a', 'key', 'x'.repeat(200), ' ', '  ', '\t', '#', '-\n', ':\n', '?\n', ' - - - - - - - - '];
    let within = 0;
    let beyond = 0;
    for (let round = 0; round < 4000; round++) {
      const lines: string[] = [];
      const brackets = random(3) === 0 ? '['.repeat(random(SCAN_LIMIT + 4)) : '';
      if (brackets !== '') lines.push(brackets);
      for (let n = random(12); n > 0; n--) {
        let line = ' '.repeat(random(4) === 0 ? SCAN_LIMIT - 20 + random(40) : random(12));
        for (let k = random(random(4) === 0 ? 140 : 12); k > 0; k--) line += pieces[random(pieces.length)];
        lines.push(line);
      }
      const text = lines.join('\n') + (random(2) === 0 ? '\n' : '');
      const expected = scanSays(text);
      assert.equal(withinBudgets(text), expected, JSON.stringify(text));
      if (expected) within++;
      else beyond++;
    }
    assert.ok(within > 500 && beyond > 500, `${within} within, ${beyond} beyond: too few of one kind to compare`);
  });

  it('draws the line where scanText does: values, lines, and a line indented or nested up to the limit', () => {
    const cases = [
      ','.repeat(MAX_VALUES), ','.repeat(MAX_VALUES + 1),
      '- \n'.repeat(MAX_VALUES), `${'- \n'.repeat(MAX_VALUES)}a:`, `${'- \n'.repeat(MAX_VALUES)}a: b`, `${'- \n'.repeat(MAX_VALUES)}-\n`,
      `${'a: b\n'.repeat(MAX_VALUES - 1)}?\n`, `${'a: b\n'.repeat(MAX_VALUES - 1)}?\n?\n`, `${'a: b\n'.repeat(MAX_VALUES - 1)}? ?`, `${'a: b\n'.repeat(MAX_VALUES)}?`,
      '\n'.repeat(MAX_LINES), '\n'.repeat(MAX_LINES + 1), `${'\n'.repeat(MAX_LINES)}a`,
      `${' '.repeat(SCAN_LIMIT)}a`, `${' '.repeat(SCAN_LIMIT + 1)}a`, `${' '.repeat(SCAN_LIMIT - 1)}- a`, `${' '.repeat(SCAN_LIMIT - 2)}- a`,
      `${'['.repeat(SCAN_LIMIT)}\n`, `${'['.repeat(SCAN_LIMIT)}\n a`, `${'{'.repeat(SCAN_LIMIT - 2)}\n- - x`, `${'{'.repeat(SCAN_LIMIT - 2)}\n- x`,
      `a: ${'- '.repeat(SCAN_LIMIT - 1)}`, `a: ${'- '.repeat(SCAN_LIMIT)}`, `a: ${'x'.repeat(1000)} - y`, `${'x'.repeat(1000)}\n${'[ '.repeat(SCAN_LIMIT)}`,
    ];
    for (const text of cases) assert.equal(withinBudgets(text), scanSays(text), `${JSON.stringify(text.slice(0, 40))}… (${text.length} characters)`);
  });
});
