/** schemas/job.schema.json is generated from the zod schema; this fails when someone forgot to regenerate it. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jobJsonSchema, jobSchemaText } from '../../src/job/schema.js';

const committed = fileURLToPath(new URL('../../../schemas/job.schema.json', import.meta.url));

type Json = Record<string, unknown>;

function* walk(node: unknown, path = '#'): Generator<[string, Json]> {
  if (typeof node !== 'object' || node === null) return;
  if (!Array.isArray(node)) yield [path, node as Json];
  for (const [key, value] of Object.entries(node)) yield* walk(value, `${path}/${key}`);
}

describe('job JSON Schema', () => {
  it('matches the committed schemas/job.schema.json', async () => {
    const text = await readFile(committed, 'utf8');
    assert.ok(text === jobSchemaText(), 'schemas/job.schema.json is out of date with src/job/schema.ts: run `npm run schema` and commit the result');
  });

  it('describes the input users write: draft-07, required version and files, no unknown keys anywhere', () => {
    const schema = jobJsonSchema();
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(schema.required, ['version', 'files']);
    for (const [path, node] of walk(schema)) {
      if (node.type === 'object' && node.properties !== undefined) assert.equal(node.additionalProperties, false, path);
    }
  });

  it('documents every property', () => {
    for (const [path, node] of walk(jobJsonSchema())) {
      if (node.properties === undefined || typeof node.properties !== 'object') continue;
      for (const [name, property] of Object.entries(node.properties as Record<string, Json>)) {
        assert.equal(typeof property.description, 'string', `${path}/properties/${name} has no description`);
        assert.equal(typeof property.title, 'string', `${path}/properties/${name} has no title`);
      }
    }
  });

  it('uses patterns editors can compile (ECMAScript, unicode mode)', () => {
    let patterns = 0;
    for (const [, node] of walk(jobJsonSchema())) {
      if (typeof node.pattern === 'string') {
        assert.doesNotThrow(() => new RegExp(node.pattern as string, 'u'), node.pattern as string);
        patterns++;
      }
    }
    assert.ok(patterns >= 5);
  });

  it('offers sizes, durations and rates as number or string, one node each with a message naming the forms', () => {
    const schema = jobJsonSchema() as { properties: Record<string, { properties: Record<string, Json> }> };
    for (const [group, key] of [['defaults', 'minSplitSize'], ['defaults', 'timeout'], ['limits', 'rate']] as const) {
      const node = schema.properties[group]!.properties[key]!;
      assert.deepEqual(node.type, ['integer', 'string'], key);
      assert.equal(node.anyOf, undefined, key);
      assert.equal(typeof node.pattern, 'string', key);
      assert.equal(typeof node.minimum, 'number', key);
      assert.match(String(node.patternErrorMessage), /^Expected .* such as .*, or a number of /, key);
      assert.equal(node.errorMessage, node.patternErrorMessage, key);
      assert.equal(Object.keys(node).some((name) => name.startsWith('x-')), false, key);
    }
  });
});
