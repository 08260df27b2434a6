import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainlyValid, validatePlainJob } from '../../src/job/plain-entries.js';
import { fileEntrySchema, jobSchema } from '../../src/job/schema.js';
import { seededRandom } from './helpers.js';

const sha = `sha256:${'a'.repeat(64)}`;

describe('plain file entries (the schema fast path)', () => {
  it('accepts only entries the schema accepts, unchanged', () => {
    const entries: unknown[] = [
      'https://x/a', '', 7, null, [], ['https://x/a'],
      { url: 'https://x/a' }, { url: '' }, { url: 3 }, { path: 'a' }, { url: 'https://x/a', path: 'b/c', checksum: sha },
      { url: 'u', checksum: 'sha256:abc' }, { url: 'u', checksum: 'sha256:file:https://x/SUMS' }, { url: 'u', checksum: `md5:${'0'.repeat(32)}` },
      { url: 'u', priority: -1_000_000 }, { url: 'u', priority: 1_000_001 }, { url: 'u', priority: 1.5 }, { url: 'u', priority: '1' },
      { url: 'u', connections: 0 }, { url: 'u', connections: 64 }, { url: 'u', connections: 65 }, { url: 'u', retries: 0 }, { url: 'u', retries: 101 },
      { url: 'u', ifExists: 'skip' }, { url: 'u', ifExists: 'Skip' }, { url: 'u', urls: ['a'] }, { url: 'u', timeout: '30s' }, { url: 'u', extra: 1 },
      { url: 'u', path: 5 }, Object.assign(Object.create({ inherited: 1 }), { url: 'u' }), { url: 'u', priority: Number.MAX_SAFE_INTEGER + 2 },
    ];
    let plain = 0;
    for (const entry of entries) {
      if (!plainlyValid(entry)) continue;
      plain++;
      const checked = fileEntrySchema.safeParse(entry);
      assert.equal(checked.success, true, JSON.stringify(entry));
      assert.deepEqual(checked.data, entry);
    }
    assert.equal(plain, 9);
  });

  it('gives the schema the rest of the job, and stands aside when anything is wrong', () => {
    const job = { version: 1, defaults: { dir: 'out' }, files: ['https://x/a', { url: 'https://x/b', path: 'b' }] };
    assert.deepEqual(validatePlainJob(job), { success: true, data: jobSchema.parse(job) });
    assert.equal(validatePlainJob({ ...job, version: 2 }), undefined);
    assert.equal(validatePlainJob({ ...job, extra: true }), undefined);
    assert.equal(validatePlainJob({ ...job, files: [] }), undefined);
    assert.equal(validatePlainJob({ ...job, files: [...job.files, { url: 'u', retries: -1 }] }), undefined);
  });
});

describe('plain file entries against the schema (differential)', () => {
  const random = seededRandom(4242);
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
  const values: unknown[] = [
    'https://x/a', '', ' ', 'u', '${HOME}/x', 'a/b.iso', '../up', '/abs', 'a\0b', sha, sha.toUpperCase(), `sha512:${'f'.repeat(128)}`,
    `sha256:${'a'.repeat(63)}`, `sha1:${'0'.repeat(40)}`, `md5:${'0'.repeat(32)}`, 'sha256:file:https://x/SUMS', 'sha1:file:https://x/S',
    'sha256:file:', 'sha256:file:a b', 'skip', 'resume', 'newer', 'Skip', 0, -0, 1, 8, '8', 64, 65, 100, 101, -1, -1_000_000, 1_000_000,
    1_000_001, 1.5, 2 ** 53, NaN, Infinity, true, false, null, undefined, [], ['https://x/a'], ['a', 'a'], {}, { a: '1' }, '30s', '10MiB', 1024,
  ];
  const keys = ['url', 'url', 'url', 'path', 'checksum', 'priority', 'connections', 'retries', 'ifExists', 'urls', 'timeout', 'minSplitSize',
    'headers', 'ssh', 'ftp', 'Url', 'extra', 'toString'];
  const entry = (): unknown => {
    if (random(5) === 0) return pick(values);
    const made: Record<string, unknown> = {};
    for (let n = random(5); n > 0; n--) made[pick(keys)] = pick(values);
    return made;
  };

  it('accepts an entry only when zod does, with exactly the value zod gives (fixed seed)', () => {
    let accepted = 0;
    for (let round = 0; round < 5000; round++) {
      const candidate = entry();
      if (!plainlyValid(candidate)) continue;
      accepted++;
      const checked = fileEntrySchema.safeParse(candidate);
      assert.equal(checked.success, true, `zod rejects ${JSON.stringify(candidate)}`);
      assert.deepEqual(checked.data, candidate);
    }
    assert.ok(accepted > 200, `only ${accepted} taken by the fast path`);
  });

  it('validates a job only when zod does, with exactly the value zod gives (fixed seed)', () => {
    const tops: unknown[] = [1, 1, 1, 2, '1', undefined];
    let accepted = 0;
    for (let round = 0; round < 2000; round++) {
      const job: Record<string, unknown> = { version: pick(tops), files: Array.from({ length: random(4) }, (_, i) => (random(3) > 0 ? { url: `https://x/${i}`, path: `p${i}` } : entry())) };
      if (random(4) === 0) job.defaults = pick([{ dir: 'out' }, { connections: 0 }, { retries: 3, timeout: '30s' }, null, {}]);
      if (random(8) === 0) job[pick(['limits', 'cache', 'extra'])] = pick(values);
      const fast = validatePlainJob(job);
      const full = jobSchema.safeParse(job);
      if (fast === undefined) continue;
      accepted++;
      assert.equal(full.success, true, `zod rejects ${JSON.stringify(job)}`);
      assert.deepEqual(fast.data, full.data);
    }
    assert.ok(accepted > 50, `only ${accepted} jobs taken by the fast path`);
  });

  it('stands aside for objects zod reads differently from a literal (library callers)', () => {
    const hidden = { url: 'https://x/a' };
    Object.defineProperty(hidden, 'priority', { value: 'high', enumerable: false });
    const inherited = Object.assign(Object.create({ extra: 1 }) as object, { version: 1, files: ['https://x/a'] });
    // eslint-disable-next-line no-sparse-arrays
    const jobs: unknown[] = [{ version: 1, files: ['https://x/a', , 'https://x/b'] }, { version: 1, files: [hidden] }, inherited];
    for (const job of jobs) {
      assert.equal(jobSchema.safeParse(job).success, false);
      assert.equal(validatePlainJob(job), undefined);
    }
  });
});
