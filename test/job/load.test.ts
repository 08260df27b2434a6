/** What a valid job file resolves to: defaults, overrides, units, headers, env, paths — and the summary line. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobFileError } from '../../src/errors.js';
import { loadJobFile, summarizeJob } from '../../src/job/load.js';
import { BASE_DIR, load, problems, yaml } from './helpers.js';

const MiB = 1024 * 1024;

describe('parseJobText: resolution', () => {
  it('applies the documented defaults to a bare URL', () => {
    const job = load(yaml('version: 1', 'files:', '  - https://example.org/releases/tool-1.2.3.tar.gz'));
    assert.deepEqual(job, {
      source: undefined,
      dir: resolve(BASE_DIR, 'downloads'),
      limits: { files: 4, connections: 16, perHost: 8, rate: 0 },
      files: [
        {
          index: 0,
          url: 'https://example.org/releases/tool-1.2.3.tar.gz',
          displayUrl: 'https://example.org/releases/tool-1.2.3.tar.gz',
          path: resolve(BASE_DIR, 'downloads', 'tool-1.2.3.tar.gz'),
          relPath: 'tool-1.2.3.tar.gz',
          priority: 0,
          connections: 8,
          minSplitSize: 256 * 1024, // the default: a floor under the measured-speed rule
          retries: 5,
          timeout: 30_000,
          headers: {},
          secrets: [],
          ifExists: 'resume',
          checksum: undefined,
        },
      ],
    });
  });

  it('lets each file override defaults, and parses units everywhere', () => {
    const job = load(
      yaml(
        'version: 1',
        'defaults:',
        '  dir: out',
        '  connections: 4',
        '  minSplitSize: 1MiB',
        '  retries: 2',
        '  timeout: 2m',
        '  ifExists: skip',
        'limits: { files: 2, connections: 32, perHost: 3, rate: 50MiB/s }',
        'files:',
        '  - url: https://example.org/a.iso',
        '    path: isos/./a.iso',
        '    priority: -3',
        '    connections: 16',
        '    minSplitSize: 1.5GB',
        '    retries: 0',
        '    timeout: 1500',
        '    ifExists: overwrite',
        '    checksum: SHA256:' + 'AB'.repeat(32),
        '  - https://example.org/b.txt',
      ).replace('SHA256', 'sha256'),
    );
    assert.equal(job.dir, resolve(BASE_DIR, 'out'));
    assert.deepEqual(job.limits, { files: 2, connections: 32, perHost: 3, rate: 50 * MiB });
    const [a, b] = job.files;
    assert.deepEqual(
      { relPath: a?.relPath, path: a?.path, priority: a?.priority, connections: a?.connections, minSplitSize: a?.minSplitSize, retries: a?.retries, timeout: a?.timeout, ifExists: a?.ifExists, checksum: a?.checksum },
      { relPath: 'isos/a.iso', path: resolve(BASE_DIR, 'out', 'isos', 'a.iso'), priority: -3, connections: 16, minSplitSize: 1_500_000_000, retries: 0, timeout: 1500, ifExists: 'overwrite', checksum: { algorithm: 'sha256', hex: 'ab'.repeat(32) } },
    );
    assert.deepEqual(
      { index: b?.index, connections: b?.connections, minSplitSize: b?.minSplitSize, retries: b?.retries, timeout: b?.timeout, ifExists: b?.ifExists },
      { index: 1, connections: 4, minSplitSize: MiB, retries: 2, timeout: 120_000, ifExists: 'skip' },
    );
  });

  it('keeps the order of the file (the engine sorts by priority)', () => {
    const job = load(yaml('version: 1', 'files:', '  - {url: https://e.org/low, priority: 1}', '  - {url: https://e.org/high, priority: 9}', '  - https://e.org/none'));
    assert.deepEqual(job.files.map((f) => [f.index, f.relPath, f.priority]), [[0, 'low', 1], [1, 'high', 9], [2, 'none', 0]]);
  });

  it('merges headers case-insensitively: a file header replaces the default of the same name', () => {
    const job = load(
      yaml(
        'version: 1',
        'defaults:',
        '  headers: { Accept: text/plain, X-Team: core, User-Agent: pdl }',
        'files:',
        '  - url: https://e.org/a',
        '    headers: { accept: application/json, X-Extra: "1" }',
        '  - https://e.org/b',
      ),
    );
    assert.deepEqual(job.files[0]?.headers, { accept: 'application/json', 'X-Team': 'core', 'User-Agent': 'pdl', 'X-Extra': '1' });
    assert.deepEqual(job.files[1]?.headers, { Accept: 'text/plain', 'X-Team': 'core', 'User-Agent': 'pdl' });
  });

  it('expands ${VAR} once, collects the values as secrets and keeps them out of displayUrl', () => {
    const env = { TOKEN: 'tok-123', KEY: 'k-456', UNUSED: 'zzz', LOOP: '${TOKEN}' };
    const job = load(
      yaml(
        'version: 1',
        'defaults: { headers: { Authorization: "Bearer ${TOKEN}" } }',
        'files:',
        '  - url: https://e.org/a.bin?key=${KEY}&price=$${literal}',
        '    headers: { X-Loop: "${LOOP}" }',
        '  - url: https://e.org/b.bin',
        '    headers: { authorization: none }',
      ),
      env,
    );
    const [a, b] = job.files;
    assert.equal(a?.url, 'https://e.org/a.bin?key=k-456&price=${literal}');
    assert.equal(a?.displayUrl, 'https://e.org/a.bin?key=${KEY}&price=$${literal}');
    assert.deepEqual(a?.headers, { Authorization: 'Bearer tok-123', 'X-Loop': '${TOKEN}' });
    // Each value, plus the spellings it takes in normalised URLs (lower case, percent-encoded), for masking.
    assert.deepEqual(a?.secrets, ['k-456', 'tok-123', '${TOKEN}', '${token}', '$%7BTOKEN%7D', '%24%7BTOKEN%7D']);
    // The default Authorization was replaced, so its secret is not this file's.
    assert.deepEqual(b?.secrets, []);
    assert.deepEqual(b?.headers, { authorization: 'none' });
  });

  it('takes the --dir override as given and ignores defaults.dir', () => {
    const job = load(yaml('version: 1', 'defaults: { dir: elsewhere }', 'files: [https://e.org/a]'), {}, '/override/here');
    assert.equal(job.dir, resolve('/override/here'));
    assert.equal(job.files[0]?.path, resolve('/override/here', 'a'));
  });

  it('accepts an absolute defaults.dir', () => {
    assert.equal(load(yaml('version: 1', 'defaults: { dir: /data/dl }', 'files: [https://e.org/a]')).dir, resolve('/data/dl'));
  });

  it('names files from the decoded last URL segment', () => {
    const job = load(yaml('version: 1', 'files:', '  - https://e.org/a/caf%C3%A9%20menu.pdf?download=1#top'));
    assert.equal(job.files[0]?.relPath, 'café menu.pdf');
  });

  it('never shows an expanded value in a message', () => {
    const env = { SECRET: 'pa55word\r\nX: y' };
    const lines = problems(yaml('version: 1', 'files:', '  - url: https://e.org/a', '    headers: { X-A: "${SECRET}", X-B: "${NOPE}" }', '  - https://${SECRET}/b'), env);
    assert.ok(lines.length >= 3, lines.join('\n'));
    assert.ok(!lines.join('\n').includes('pa55word'));
  });
});

describe('loadJobFile', () => {
  const withDir = async (check: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'pdl-load-'));
    try {
      await check(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('resolves dir against the job file folder and records the absolute source', () =>
    withDir(async (dir) => {
      await mkdir(join(dir, 'jobs'));
      const file = join(dir, 'jobs', 'release.yaml');
      await writeFile(file, yaml('version: 1', 'defaults: { dir: ../out }', 'files: [https://e.org/a.tgz]'));
      const job = await loadJobFile(file, { env: {} });
      assert.equal(job.source, file);
      assert.equal(job.dir, join(dir, 'out'));
      assert.equal(job.files[0]?.path, join(dir, 'out', 'a.tgz'));
    }));

  it('names the file as the user typed it in every message', () =>
    withDir(async (dir) => {
      const file = join(dir, 'jobs.yaml');
      await writeFile(file, yaml('version: 1', 'files:', '  - url: https://e.org/a', '    retries: many'));
      await assert.rejects(loadJobFile(file, { env: {}, displayName: 'sub/jobs.yaml' }), (error: unknown) => {
        assert.ok(error instanceof JobFileError);
        assert.equal(error.file, 'sub/jobs.yaml');
        assert.deepEqual(error.issues, [{ line: 4, column: 14, path: 'files[0].retries', message: 'expected an integer from 0 to 100, got "many"' }]);
        assert.equal(error.message, 'sub/jobs.yaml:4:14 files[0].retries: expected an integer from 0 to 100, got "many"');
        return true;
      });
    }));

  it('loads jobs.example.yaml when its ${GITHUB_TOKEN} is set', async () => {
    const example = fileURLToPath(new URL('../../../jobs.example.yaml', import.meta.url));
    const job = await loadJobFile(example, { env: { GITHUB_TOKEN: 'ghp_example' } });
    assert.equal(job.files.length, 5);
    assert.ok(job.files.some((file) => file.secrets.includes('ghp_example')));
    assert.ok(job.files.every((file) => !file.displayUrl.includes('ghp_example')));
    assert.ok(job.files.some((file) => file.checksum !== undefined));
    assert.equal(summarizeJob(job), 'jobs.example.yaml: 5 files, 2 hosts (github.com: 4, api.github.com: 1)');
  });

  it('points at the header that needs ${GITHUB_TOKEN} when it is missing', async () => {
    const example = fileURLToPath(new URL('../../../jobs.example.yaml', import.meta.url));
    await assert.rejects(loadJobFile(example, { env: {}, displayName: 'jobs.example.yaml' }), {
      message: /^jobs\.example\.yaml:\d+:\d+ files\[2\]\.headers\.Authorization: \$\{GITHUB_TOKEN\} is not set$/,
    });
  });
});

describe('summarizeJob', () => {
  const summary = (...urls: string[]) => summarizeJob(load(yaml('version: 1', 'files:', ...urls.map((url, i) => `  - {url: "${url}", path: f${i}}`))));
  it('counts files per host, busiest first', () => {
    assert.equal(summary('https://a.org/1', 'https://b.org/2', 'https://b.org/3', 'http://B.org:8080/4'), 'job: 4 files, 3 hosts (b.org: 2, a.org: 1, b.org:8080: 1)');
  });
  it('says "1 file, 1 host"', () => assert.equal(summary('https://a.org/1'), 'job: 1 file, 1 host (a.org: 1)'));
  it('lists five hosts and counts the rest', () => {
    assert.equal(summary(...['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((h) => `https://${h}.org/x`)), 'job: 7 files, 7 hosts (a.org: 1, b.org: 1, c.org: 1, d.org: 1, e.org: 1, 2 more)');
  });
  it('shows a host from ${VAR} unexpanded', () => {
    const job = load(yaml('version: 1', 'files: ["https://${HOST}/a"]'), { HOST: 'internal.example' });
    assert.equal(summarizeJob(job, 'jobs.yaml'), 'jobs.yaml: 1 file, 1 host (${HOST}: 1)');
  });
});
