/**
 * The hand check of a job's top level (plain-top.ts) against zod: whatever it accepts, the schema accepts with the very
 * same value; and the rules it shares with the schema (rules.ts) word a quantity exactly as the schema does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainTop } from '../../src/job/plain-top.js';
import { validatePlainJob } from '../../src/job/plain-entries.js';
import { quantityProblem, RATE_RULE, SPLIT_SIZE_RULE, TIMEOUT_RULE } from '../../src/job/rules.js';
import { jobSchema, rateSchema } from '../../src/job/schema.js';
import { seededRandom } from './helpers.js';

const topSchema = jobSchema.omit({ files: true });

describe('the top level by hand', () => {
  it('accepts the plain shapes and nothing unusual', () => {
    const accepted = [
      { version: 1 },
      { version: 1, cache: '.cache', defaults: { dir: 'out', connections: 4, minSplitSize: '1MiB', retries: 0, timeout: 30_000, ifExists: 'skip' } },
      { version: 1, defaults: { headers: { 'X-Token': '${TOKEN}', Accept: 'text/plain' } }, limits: { files: 1, connections: 1024, perHost: 8, rate: 0 } },
      { version: 1, defaults: { headers: {} }, limits: { rate: '20MiB/s' } },
    ];
    for (const top of accepted) {
      assert.equal(plainTop(top), true, JSON.stringify(top));
      assert.deepEqual(topSchema.parse(top), top);
    }
    const hidden = { version: 1 };
    Object.defineProperty(hidden, 'cache', { value: '', enumerable: false });
    const refused: Record<string, unknown>[] = [
      {}, { version: 2 }, { version: '1' }, { version: 1, extra: 1 }, { version: 1, defaults: null }, { version: 1, defaults: { ssh: {} } },
      { version: 1, defaults: { ftp: {} } }, { version: 1, defaults: { dir: '' } }, { version: 1, defaults: { dir: 'a\0b' } },
      { version: 1, defaults: { connections: 65 } }, { version: 1, defaults: { timeout: '1.5' } }, { version: 1, defaults: { minSplitSize: 1 } },
      { version: 1, defaults: { headers: { Host: 'x' } } }, { version: 1, defaults: { headers: { 'a b': 'x' } } },
      { version: 1, defaults: { headers: { 'X-A': 5 } } }, { version: 1, defaults: { headers: { 'X-A': 'a\nb' } } },
      { version: 1, defaults: { ifExists: 'Skip' } }, { version: 1, limits: { files: 0 } }, { version: 1, limits: { rate: 5 } },
      { version: 1, limits: { perhost: 3 } }, { version: 1, cache: '' }, { version: 1, cache: undefined }, { version: 1, defaults: [] },
      Object.assign(Object.create({ inherited: 1 }) as object, { version: 1 }), hidden, { version: 1, [Symbol('s')]: 1 },
      { version: 1, defaults: Object.assign(Object.create(null) as object, { dir: 'out' }) },
    ];
    for (const top of refused) assert.equal(plainTop(top), false, JSON.stringify(top));
  });
});

describe('the top level by hand against the schema (differential)', () => {
  const random = seededRandom(1212);
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
  const values: unknown[] = [
    0, -0, 1, 2, 4, 8, 64, 65, 100, 101, 1024, 1025, -1, 1.5, 2 ** 53, NaN, Infinity, 30_000, 99, 100, 65_536, 65_535, 1023,
    '', 'out', './a/b', '/abs', 'a\0b', '1', '8', '30s', '1.5s', '1.5', '99', '24h', '25h', '100ms', '1MiB', '64KiB', '63KiB', '1TiB', '2TiB',
    '10MiB', '20MiB/s', '1KiB', '1023', '0', ' 4 m ', 'skip', 'Skip', 'resume', 'newer', true, null, undefined, [], {}, ['a'],
    { 'X-A': 'b' }, { Host: 'x' }, { 'X-A': 'é' }, { 'X-A': 'ü\u0100' }, { 'a b': 'c' }, { 'X-A': 5 }, { 'X-A': '\t v' }, { identity: '~/.ssh/id' },
  ];
  const section = (keys: readonly string[]): unknown => {
    if (random(8) === 0) return pick(values);
    const made: Record<string, unknown> = {};
    for (let n = random(5); n > 0; n--) made[pick(keys)] = pick(values);
    return made;
  };
  const defaultsKeys = ['dir', 'connections', 'minSplitSize', 'retries', 'timeout', 'headers', 'ifExists', 'ssh', 'ftp', 'extra', 'Dir'];
  const limitsKeys = ['files', 'connections', 'perHost', 'rate', 'perhost'];
  const top = (): Record<string, unknown> => {
    const made: Record<string, unknown> = { version: random(6) === 0 ? pick(values) : 1 };
    if (random(2) === 0) made.defaults = section(defaultsKeys);
    if (random(2) === 0) made.limits = section(limitsKeys);
    if (random(4) === 0) made.cache = pick(values);
    if (random(20) === 0) made[pick(['extra', 'Version', 'file'])] = 1;
    if (random(20) === 0) delete made.version;
    return made;
  };

  it('accepts a top level only when zod does, with exactly the value zod gives (fixed seed)', () => {
    let accepted = 0;
    let zodOnly = 0;
    for (let round = 0; round < 20_000; round++) {
      const candidate = top();
      const full = topSchema.safeParse(candidate);
      if (!plainTop(candidate)) {
        if (full.success) zodOnly++;
        continue;
      }
      accepted++;
      assert.equal(full.success, true, `zod rejects ${JSON.stringify(candidate)}`);
      assert.deepEqual(full.data, candidate);
      const job = { ...candidate, files: ['https://x/a', { url: 'https://x/b', path: 'b' }] };
      assert.deepEqual(validatePlainJob(job)?.data, jobSchema.parse(job));
    }
    assert.ok(accepted > 1000, `only ${accepted} taken by the hand check`);
    assert.ok(zodOnly > 0, 'no valid top level was left to zod: the generator makes no unusual shapes');
  });

  it('words every quantity as the schema does (the flags use the same words)', () => {
    const quantities = [
      { rule: RATE_RULE, schema: rateSchema },
      { rule: SPLIT_SIZE_RULE, schema: jobSchema.shape.defaults.unwrap().shape.minSplitSize.unwrap() },
      { rule: TIMEOUT_RULE, schema: jobSchema.shape.defaults.unwrap().shape.timeout.unwrap() },
    ];
    const more = ['99999999999999999999k', '99999999999999999999h', '1.5KiB', '0.5', '1.25 MiB', 'abc', '5 /s', '10MB/S', '1e3'];
    for (const { rule, schema } of quantities) {
      for (const value of [...values, ...more]) {
        if (value === undefined) continue;
        const checked = schema.safeParse(value);
        assert.equal(quantityProblem(rule, value), checked.success ? undefined : checked.error.issues[0]?.message, `${rule.expected}: ${JSON.stringify(value)}`);
      }
    }
  });
});
