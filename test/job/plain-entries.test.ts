import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainlyValid, validatePlainJob } from '../../src/job/plain-entries.js';
import { fileEntrySchema, jobSchema } from '../../src/job/schema.js';

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
