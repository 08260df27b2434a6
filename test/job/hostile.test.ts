/** Hostile or broken YAML: always a clear, positioned JobFileError — never a hang, a crash or a polluted prototype. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobFileError } from '../../src/errors.js';
import { loadJobFile } from '../../src/job/load.js';
import { load, problems, yaml } from './helpers.js';

const OK = yaml('version: 1', 'files: [https://e.org/a]');
const deepBlock = (levels: number) =>
  OK + 'x:\n' + Array.from({ length: levels }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n') + `\n${' '.repeat(levels + 1)}v\n`;

const rows: { name: string; text: string; expected: string[] }[] = [
  {
    name: 'alias bomb (billion laughs)',
    text: yaml(
      'version: 1',
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'files: [https://e.org/a]',
    ),
    expected: ['jobs.yaml:3:8 aliases expand to too much data (a "billion laughs" file?); write the values out'],
  },
  {
    name: 'more than 100 aliases',
    text: yaml('version: 1', 'x: &a 1', `y: [${Array(101).fill('*a').join(', ')}]`, 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:3:405 more than 100 aliases; write the values out'],
  },
  { name: 'an alias to nothing', text: yaml('version: 1', 'files: [*nowhere]'), expected: ['jobs.yaml:2:9 unknown alias: *nowhere'] },
  { name: '65 nested brackets', text: OK + `x: ${'['.repeat(65)}${']'.repeat(65)}\n`, expected: ['jobs.yaml:3:67 nesting is deeper than 64 levels'] },
  { name: '100 000 nested brackets', text: OK + `x: ${'['.repeat(100_000)}\n`, expected: ['jobs.yaml:3:130 nesting is deeper than 64 levels'] },
  { name: '100 000 compact sequences', text: OK + `x:\n  ${'- '.repeat(100_000)}x\n`, expected: ['jobs.yaml:4:255 nesting is deeper than 64 levels'] },
  { name: '100 000 compact mappings', text: OK + `x: ${'a: '.repeat(100_000)}x\n`, expected: ['jobs.yaml:3:383 nesting is deeper than 64 levels'] },
  { name: 'two million nested brackets', text: OK + `x: ${'['.repeat(2_000_000)}\n`, expected: ['jobs.yaml:3:500000 has more than 500000 values; split it into several job files'] },
  { name: 'half a million values', text: OK + `x: [${'a,'.repeat(500_000)}]\n`, expected: ['jobs.yaml:3:999996 has more than 500000 values; split it into several job files'] },
  { name: 'a million lines', text: OK + '\n'.repeat(1_000_000), expected: ['jobs.yaml:1000001:1 has more than 1000000 lines; split it into several job files'] },
  {
    name: 'unknown keys are listed up to 20 per mapping, then counted',
    text: yaml('version: 1', 'files: [https://e.org/a]', 'defaults:', ...Array.from({ length: 30 }, (_, i) => `  k${i}: 1`)),
    expected: Array.from({ length: 20 }, (_, i) => `jobs.yaml:${i + 4}:3 defaults.k${i}: unknown key \`k${i}\`; expected one of \`dir\`, \`connections\`, \`minSplitSize\`, \`retries\`, \`timeout\`, \`headers\`, \`ifExists\`, \`ssh\`, \`ftp\``)
      // The summary points at the mapping, which starts where its first key does.
      .flatMap((line, i) => (i === 0 ? [line, 'jobs.yaml:4:3 defaults: and 10 more unknown keys'] : [line])),
  },
  { name: '80 levels of indentation', text: deepBlock(80), expected: ['jobs.yaml:67:65 nesting is deeper than 64 levels'] },
  { name: '3000 levels of indentation', text: deepBlock(3000), expected: ['jobs.yaml:130:129 nesting is deeper than 64 levels'] },
  { name: 'two documents', text: OK + '---\n' + OK, expected: ['jobs.yaml:3:1 holds several YAML documents (---); a job file is one document'] },
  { name: 'duplicate keys', text: yaml('version: 1', 'files: [https://e.org/a]', 'version: 1'), expected: ['jobs.yaml:3:1 duplicate key `version`'] },
  { name: '__proto__ at the top', text: OK + '__proto__: {polluted: 1}\n', expected: ['jobs.yaml:3:1 `__proto__` is not allowed as a key'] },
  {
    name: '__proto__, constructor and prototype anywhere',
    text: yaml('version: 1', 'defaults:', '  headers:', '    __proto__: x', '    constructor: y', 'files:', '  - {url: https://e.org/a, prototype: 1}', '  - {url: https://e.org/b, "__proto__": {}}'),
    expected: [
      'jobs.yaml:4:5 `__proto__` is not allowed as a key',
      'jobs.yaml:5:5 `constructor` is not allowed as a key',
      'jobs.yaml:7:28 `prototype` is not allowed as a key',
      'jobs.yaml:8:28 `__proto__` is not allowed as a key',
    ],
  },
  { name: '!!binary', text: OK + 'x: !!binary aGVsbG8=\n', expected: ['jobs.yaml:3:13 unsupported tag !!binary; job files use plain YAML values, without tags'] },
  { name: '!!set', text: OK + 'x: !!set {a}\n', expected: ['jobs.yaml:3:10 unsupported tag !!set; job files use plain YAML values, without tags'] },
  { name: 'a local tag', text: OK + 'x: !foo bar\n', expected: ['jobs.yaml:3:4 Unresolved tag: !foo; job files use plain YAML values, without tags'] },
  { name: 'a tag on a key', text: OK + '!!binary aGVsbG8=: x\n', expected: ['jobs.yaml:3:10 unsupported tag !!binary; job files use plain YAML values, without tags'] },
  { name: 'an empty file', text: '', expected: ['jobs.yaml is empty; a job file needs at least `version: 1` and `files:`'] },
  { name: 'only comments', text: '# nothing here\n\n', expected: ['jobs.yaml is empty; a job file needs at least `version: 1` and `files:`'] },
  { name: 'a list at the top', text: '- https://e.org/a\n', expected: ['jobs.yaml:1:1 expected a mapping with `version: 1` and `files:` at the top level, got a list'] },
  { name: 'a scalar at the top', text: 'hello\n', expected: ['jobs.yaml:1:1 expected a mapping with `version: 1` and `files:` at the top level, got "hello"'] },
  { name: 'a mapping as a key', text: OK + '? [a]\n: b\n', expected: ['jobs.yaml:3:3 keys must be plain text'] },
  { name: 'an empty key', text: OK + ': b\n', expected: ['jobs.yaml:3:1 keys must be plain text'] },
  {
    name: 'merge keys are plain keys (and unknown)',
    text: yaml('version: 1', 'defaults:', '  <<: {connections: 2}', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:3:3 defaults["<<"]: unknown key `<<`; expected one of `dir`, `connections`, `minSplitSize`, `retries`, `timeout`, `headers`, `ifExists`, `ssh`, `ftp`'],
  },
  { name: 'a syntax error', text: yaml('version: 1', 'files: [https://e.org/a', 'x: 1'), expected: ['jobs.yaml:3:1 Flow sequence in block collection must be sufficiently indented and end with a ]'] },
  { name: 'tabs as indentation', text: yaml('version: 1', 'files:', '\t- https://e.org/a'), expected: ['jobs.yaml:3:1 Tabs are not allowed as indentation'] },
  { name: 'text over 16 MiB', text: OK + `#${'x'.repeat(16 * 1024 * 1024)}\n`, expected: ['jobs.yaml is larger than 16 MiB, the limit for a job file; split it into several'] },
];

describe('hostile YAML', () => {
  for (const row of rows) it(row.name, () => assert.deepEqual(problems(row.text), row.expected));

  it('lists the first 100 problems in file order and counts the rest', () => {
    const found = problems(yaml('version: 1', 'files:', ...Array.from({ length: 150 }, () => '  - 5')));
    assert.equal(found.length, 101);
    assert.equal(found[0], 'jobs.yaml:3:5 files[0]: expected a URL or a mapping with `url:`, got 5');
    assert.equal(found[99], 'jobs.yaml:102:5 files[99]: expected a URL or a mapping with `url:`, got 5');
    assert.equal(found[100], 'jobs.yaml and 50 more problems');
  });

  it('leaves Object.prototype alone after a __proto__ file', () => {
    problems(OK + '__proto__: {polluted: 1}\nx: {__proto__: {polluted: 2}}\n');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  it('accepts what is merely unusual: a BOM, a leading ---, core tags, aliases', () => {
    assert.equal(load(`\uFEFF${OK}`).files.length, 1);
    assert.equal(load(`---\n${OK}`).files.length, 1);
    assert.equal(load(yaml('version: !!int 1', 'files: [!!str https://e.org/a]')).files.length, 1);
    const job = load(yaml('version: 1', 'defaults: {headers: &h {X-A: b}}', 'files:', '  - {url: https://e.org/a, headers: *h}', '  - {url: https://e.org/b, headers: *h}'));
    assert.deepEqual(job.files.map((file) => file.headers), [{ 'X-A': 'b' }, { 'X-A': 'b' }]);
  });
});

describe('hostile bytes on disk', () => {
  const withFile = async (bytes: Uint8Array | string, check: (file: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'pdl-job-'));
    try {
      const file = join(dir, 'jobs.yaml');
      await writeFile(file, bytes);
      await check(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const rejects = (file: string, message: string) =>
    assert.rejects(loadJobFile(file, { env: {}, displayName: 'jobs.yaml' }), (error: unknown) => {
      assert.ok(error instanceof JobFileError);
      assert.equal(error.message, message);
      return true;
    });

  it('names the line of the first non-UTF-8 byte', () =>
    withFile(Buffer.concat([Buffer.from('version: 1\nfiles:\n  - https://e.org/caf'), Buffer.from([0xe9]), Buffer.from('\n')]), (file) =>
      rejects(file, 'jobs.yaml:3:1 is not valid UTF-8 (on this line); save the file as UTF-8'),
    ));

  it('refuses a file over 16 MiB without parsing it', () =>
    withFile(Buffer.alloc(16 * 1024 * 1024 + 1, 0x23), (file) =>
      rejects(file, 'jobs.yaml is larger than 16 MiB, the limit for a job file; split it into several'),
    ));

  it('reads a file of exactly 16 MiB', () =>
    withFile(Buffer.concat([Buffer.from(`${OK}#`), Buffer.alloc(16 * 1024 * 1024 - OK.length - 2, 0x78), Buffer.from('\n')]), async (file) => {
      assert.equal((await loadJobFile(file, { env: {} })).files.length, 1);
    }));

  it('reports a missing file and a folder as job file problems', async () => {
    await rejects(join(tmpdir(), 'pdl-no-such-job.yaml'), 'jobs.yaml cannot be read: no such file');
    await rejects(tmpdir(), 'jobs.yaml cannot be read: it is a folder');
  });

  it('reports an empty file', () => withFile('', (file) => rejects(file, 'jobs.yaml is empty; a job file needs at least `version: 1` and `files:`')));
});
