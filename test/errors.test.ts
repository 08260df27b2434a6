import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumMismatchError, EXIT_CODES, JobFileError, LocalIOError } from '../src/errors.js';
import { toLocalIOError } from '../src/error-wrap.js';

test('error classes carry stable codes and exit codes', () => {
  const cases: Array<[Error & { code: string; exitCode: number }, string, number]> = [
    [new ChecksumMismatchError('sha256', 'aa', 'bb'), 'E_CHECKSUM', EXIT_CODES.integrity],
    [new JobFileError('jobs.yaml', [{ line: 3, column: 5, path: 'files[0].url', message: 'expected a URL' }]), 'E_JOB_FILE', 2],
    [new LocalIOError('x'), 'E_IO', 6],
  ];
  for (const [error, code, exit] of cases) {
    assert.equal(error.code, code);
    assert.equal(error.exitCode, exit);
  }
});

test('job file errors list every issue with file:line:column', () => {
  const error = new JobFileError('jobs.yaml', [
    { line: 14, column: 15, path: 'files[2].checksum', message: 'expected a checksum' },
    { line: 0, column: 0, path: '', message: 'empty file' },
  ]);
  assert.equal(error.message, 'jobs.yaml:14:15 files[2].checksum: expected a checksum\njobs.yaml empty file');
});

test('fs errors become LocalIOError naming the path', () => {
  const err = Object.assign(new Error('boom'), { code: 'ENOSPC' });
  const wrapped = toLocalIOError(err, '/tmp/x.part', 'write');
  assert.equal(wrapped.message, 'cannot write /tmp/x.part: no space left on device (ENOSPC)');
  assert.equal(wrapped.path, '/tmp/x.part');
});
