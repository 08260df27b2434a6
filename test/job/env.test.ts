import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeReferences, expandEnv } from '../../src/job/env.js';

const env = { TOKEN: 's3cr3t', HOST: 'example.org', EMPTY: '', NESTED: '${TOKEN}', lower_case: 'ok' };

describe('expandEnv', () => {
  const table: { text: string; value?: string; names?: string[]; secrets?: string[]; problems?: string[] }[] = [
    { text: 'plain', value: 'plain', names: [], secrets: [] },
    { text: 'Bearer ${TOKEN}', value: 'Bearer s3cr3t', names: ['TOKEN'], secrets: ['s3cr3t'] },
    { text: 'https://${HOST}/a?t=${TOKEN}&u=${TOKEN}', value: 'https://example.org/a?t=s3cr3t&u=s3cr3t', names: ['HOST', 'TOKEN'], secrets: ['example.org', 's3cr3t'] },
    { text: '${lower_case}', value: 'ok', names: ['lower_case'], secrets: ['ok'] },
    // One pass: a value that contains ${…} is used as is, never expanded again.
    { text: '${NESTED}', value: '${TOKEN}', names: ['NESTED'], secrets: ['${TOKEN}'] },
    // $${ is the escape for a literal ${; a lone $ is just a dollar sign.
    { text: 'price $5, $${TOKEN}', value: 'price $5, ${TOKEN}', names: [], secrets: [] },
    // Only `$${` is special, so a dollar sign right before an expanded value cannot be written.
    { text: '$$${TOKEN}', value: '$${TOKEN}', names: [], secrets: [] },
    { text: '$$', value: '$$', names: [], secrets: [] },
    { text: 'a ${MISSING} b', problems: ['${MISSING} is not set'] },
    { text: '${EMPTY}', problems: ['${EMPTY} is empty'] },
    { text: '${MISSING}${MISSING}', problems: ['${MISSING} is not set'] },
    { text: '${constructor}', problems: ['${constructor} is not set'] },
    { text: '${1BAD}', problems: ['`${` must start a reference such as ${TOKEN} (letters, digits, _); write $${ for a literal ${'] },
    { text: '${TOKEN', problems: ['`${` must start a reference such as ${TOKEN} (letters, digits, _); write $${ for a literal ${'] },
  ];
  for (const row of table) {
    it(JSON.stringify(row.text), () => {
      const result = expandEnv(row.text, env);
      assert.deepEqual(result.problems, row.problems ?? []);
      if (row.value !== undefined) assert.equal(result.value, row.value);
      if (row.names !== undefined) assert.deepEqual(result.names, row.names);
      if (row.secrets !== undefined) assert.deepEqual(result.secrets, row.secrets);
      for (const problem of result.problems) assert.ok(!problem.includes('s3cr3t'));
    });
  }
});

describe('describeReferences', () => {
  it('names variables the way messages do', () => assert.equal(describeReferences(['A', 'B']), '${A}, ${B}'));
});
