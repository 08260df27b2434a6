/** The resolver on plain objects: what `pdl get` and `download()` use, without YAML or positions. */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { JobFileError } from '../../src/errors.js';
import { resolveJobObject } from '../../src/job/check.js';
import { resolveJob } from '../../src/job/resolve.js';
import { maskUserinfo } from '../../src/job/resolve-url.js';

const options = { fileName: 'pdl get', baseDir: '/work', env: {}, expandEnv: false } as const;

describe('resolveJobObject', () => {
  it('builds the same ResolvedJob as a job file would', () => {
    const job = resolveJobObject(
      { version: 1, defaults: { dir: '/data', connections: 4, timeout: '10s', headers: { 'X-A': 'b' } }, limits: { files: 1 }, files: [{ url: 'https://e.org/x.iso', checksum: 'md5:' + 'F'.repeat(32) }] },
      options,
    );
    assert.equal(job.dir, resolve('/data'));
    assert.deepEqual(job.limits, { files: 1, connections: 16, perHost: 8, rate: 0 });
    assert.equal(job.files[0]?.path, resolve('/data', 'x.iso'));
    assert.equal(job.files[0]?.timeout, 10_000);
    assert.deepEqual(job.files[0]?.headers, { 'X-A': 'b' });
    assert.deepEqual(job.files[0]?.checksum, { algorithm: 'md5', hex: 'f'.repeat(32) });
  });

  it('resolves `cache` against the job file\'s folder (it may be outside dir); no cache when unset', () => {
    const job = resolveJobObject({ version: 1, cache: '../cache', defaults: { dir: 'out' }, files: ['https://e.org/a'] }, options);
    assert.equal(job.cache, resolve('/work', '../cache'));
    assert.equal(resolveJobObject({ version: 1, files: ['https://e.org/a'] }, options).cache, undefined);
    assert.throws(() => resolveJobObject({ version: 1, cache: '', files: ['https://e.org/a'] }, options), JobFileError);
  });

  it('takes URLs and headers literally when expandEnv is false (the shell already expanded them)', () => {
    const job = resolveJobObject({ version: 1, files: [{ url: 'https://e.org/a?x=${HOME}', path: 'a', headers: { 'X-T': '${TOKEN}' } }] }, { ...options, env: { HOME: '/root', TOKEN: 't' } });
    assert.equal(job.files[0]?.url, 'https://e.org/a?x=${HOME}');
    assert.deepEqual(job.files[0]?.headers, { 'X-T': '${TOKEN}' });
    assert.deepEqual(job.files[0]?.secrets, []);
  });

  it('reports every problem without positions, under the given name', () => {
    assert.throws(
      () => resolveJobObject({ version: 1, defaults: { connections: 99 }, files: [{ url: 'gopher://e.org/a' }, { url: 'https://e.org/', checksum: 'x' }] }, options),
      (error: unknown) => {
        assert.ok(error instanceof JobFileError);
        assert.deepEqual(error.issues, [
          { line: 0, column: 0, path: 'defaults.connections', message: 'expected an integer from 1 to 64, got 99' },
          { line: 0, column: 0, path: 'files[1].checksum', message: 'expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "x"' },
          { line: 0, column: 0, path: 'files[0].url', message: 'unsupported scheme gopher: pdl downloads http, https, sftp, ftp and ftps URLs' },
          { line: 0, column: 0, path: 'files[1].url', message: 'cannot derive a file name from the URL; add `path:`' },
        ]);
        assert.match(error.message, /^pdl get defaults\.connections: expected an integer from 1 to 64, got 99\n/);
        return true;
      },
    );
  });

  it('does not trust a JS object either: __proto__ headers and keys stay harmless', () => {
    const raw = JSON.parse('{"version":1,"files":[{"url":"https://e.org/a","headers":{"__proto__":"x"}}]}') as unknown;
    const job = resolveJobObject(raw, options);
    assert.equal(Object.getPrototypeOf(job.files[0]?.headers), Object.prototype);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('resolveJob', () => {
  it('skips entries that failed validation but still checks the rest', () => {
    const outcome = resolveJob({ files: [undefined, 'https://e.org/dup', undefined, { url: 'https://e.org/other/DUP' }] }, { baseDir: '/w', env: {} });
    assert.deepEqual(outcome, {
      ok: false,
      issues: [{ path: ['files', 3, 'url'], message: 'same output path as files[1] ("dup"); paths are compared case-insensitively' }],
    });
  });

  it('reports each problem where it was written: the entry, `url`, `urls[i]`, `path` or `checksum`', () => {
    const same = (index: number, path: string) => `same output path as files[${index}] (${JSON.stringify(path)}); paths are compared case-insensitively`;
    const outcome = resolveJob({
      files: [
        'https://e.org/a',
        'https://e.org/A',
        { url: 'https://e.org/x/a' },
        { urls: ['https://e.org/y/a', 'https://m.org/a'] },
        { url: 'https://e.org/z', path: 'A' },
        { urls: ['gopher://x/y', 'gopher://m/f'], checksum: 'sha256:file:ftp://e.org/SUMS' },
        { url: 'https://e.org/b', path: '../b', checksum: 'sha512:file:https://e.org/${NOPE}' },
      ],
    }, { baseDir: '/w', env: {} });
    assert.deepEqual(outcome, {
      ok: false,
      issues: [
        { path: ['files', 5, 'urls', 0], message: 'unsupported scheme gopher: pdl downloads http, https, sftp, ftp and ftps URLs' },
        { path: ['files', 5, 'urls', 1], message: 'unsupported scheme gopher: beside a first URL of http, a mirror is http, https or of that scheme' },
        { path: ['files', 5, 'checksum'], message: 'unsupported scheme ftp: checksum lists are fetched over http and https only' },
        { path: ['files', 6, 'checksum'], message: '${NOPE} is not set' },
        { path: ['files', 6, 'path'], message: 'expected a relative path inside `dir`, got "../b" (it contains a `..` segment; paths must stay inside `dir`)' },
        { path: ['files', 1], message: same(0, 'a') },
        { path: ['files', 2, 'url'], message: same(0, 'a') },
        { path: ['files', 3, 'urls', 0], message: same(0, 'a') },
        { path: ['files', 4, 'path'], message: same(0, 'a') },
      ],
    });
  });

  it('gives a file its optional fields only when it has them, and no secrets as one frozen list', () => {
    const outcome = resolveJob({
      files: [
        { url: 'https://e.org/a', checksum: `sha256:${'AB'.repeat(32)}` },
        { urls: ['https://e.org/b', 'https://m.org/b'], checksum: 'sha256:file:https://e.org/SUMS' },
        { url: 'sftp://me@h/c', ssh: { password: '${PW}' } },
        { url: 'ftp://h/d' },
      ],
    }, { baseDir: '/w', env: { PW: 'pw' } });
    assert.ok(outcome.ok);
    const [a, b, c, d] = outcome.job.files;
    assert.deepEqual(Object.keys(a!), ['index', 'url', 'displayUrl', 'path', 'relPath', 'priority', 'connections', 'minSplitSize', 'retries', 'timeout', 'headers', 'secrets', 'ifExists', 'checksum']);
    assert.deepEqual(a?.checksum, { algorithm: 'sha256', hex: 'ab'.repeat(32) });
    assert.ok(Object.isFrozen(a?.secrets) && a?.secrets.length === 0);
    assert.deepEqual(Object.keys(b!).slice(13), ['checksum', 'checksumList', 'mirrors']);
    assert.deepEqual(b?.mirrors, [{ url: 'https://m.org/b', displayUrl: 'https://m.org/b' }]);
    assert.deepEqual(Object.keys(c!).slice(13), ['checksum', 'ssh']);
    assert.deepEqual([c?.ssh?.password, c?.secrets.includes('pw')], ['pw', true]);
    assert.deepEqual(Object.keys(d!).slice(13), ['checksum', 'ftp']);
    assert.deepEqual(d?.ftp, { password: undefined });
  });

  it('copies source and resolves a relative --dir against the process folder', () => {
    const outcome = resolveJob({ files: ['https://e.org/a'] }, { baseDir: '/w', env: {}, dir: 'rel', source: '/w/jobs.yaml' });
    assert.ok(outcome.ok);
    assert.equal(outcome.job.source, '/w/jobs.yaml');
    assert.equal(outcome.job.dir, resolve('rel'));
  });
});

describe('maskUserinfo', () => {
  const table: [string, string][] = [
    ['https://user:pw@e.org/a', 'https://***@e.org/a'],
    ['https://user@e.org/a@b', 'https://***@e.org/a@b'],
    ['https://${CREDS}@e.org/', 'https://***@e.org/'],
    ['https://e.org/a?mail=x@y', 'https://e.org/a?mail=x@y'],
    ['https://e.org/#x@y', 'https://e.org/#x@y'],
    ['not a url @ all', 'not a url @ all'],
  ];
  for (const [input, masked] of table) it(input, () => assert.equal(maskUserinfo(input), masked));
});

describe('checksum lists (sha256:file:<url>)', () => {
  it('resolves the list URL like any URL: ${VAR} expanded, shown unexpanded, its value a secret', () => {
    const outcome = resolveJob(
      { files: [{ url: 'https://e.org/r/a.iso', checksum: 'sha512:file:https://e.org/r/${TOKEN}/SHA512SUMS' }] },
      { baseDir: '/w', env: { TOKEN: 's3cret' } },
    );
    assert.ok(outcome.ok);
    const file = outcome.job.files[0];
    assert.equal(file?.checksum, undefined);
    assert.deepEqual(file?.checksumList, { algorithm: 'sha512', url: 'https://e.org/r/s3cret/SHA512SUMS', displayUrl: 'https://e.org/r/${TOKEN}/SHA512SUMS' });
    assert.ok(file?.secrets.includes('s3cret'));
  });

  const rejected: Array<[checksum: string, message: string]> = [
    ['sha256:file:ftp://e.org/SUMS', 'unsupported scheme ftp: checksum lists are fetched over http and https only'],
    ['sha256:file:https://u:p@e.org/SUMS', 'credentials in the URL are not allowed (they would show in logs); send them in a header instead, e.g. `Authorization: "Basic ${CREDENTIALS}"`'],
    ['sha256:file:https://e.org/${NOPE}/SUMS', '${NOPE} is not set'],
    ['sha1:file:https://e.org/SUMS', 'expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "sha1:file:https://e.org/SUMS" (checksum lists take sha256 or sha512)'],
    ['sha256:https://e.org/SUMS', 'expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "sha256:https://e.org/SUMS" (a checksum list is written with file: before the URL)'],
    ['sha256:file:', 'expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "sha256:file:"'],
  ];
  for (const [checksum, message] of rejected) {
    it(`rejects ${checksum}`, () => {
      assert.throws(
        () => resolveJobObject({ version: 1, files: [{ url: 'https://e.org/a.iso', checksum }] }, { ...options, expandEnv: true }),
        (error: unknown) => {
          assert.ok(error instanceof JobFileError);
          assert.deepEqual(error.issues, [{ line: 0, column: 0, path: 'files[0].checksum', message }]);
          return true;
        },
      );
    });
  }
});
