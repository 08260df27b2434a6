import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { checkRelativePath, fileNameFromUrl, findPathConflicts, outputPath } from '../../src/job/paths.js';
import { seededRandom } from './helpers.js';

describe('checkRelativePath', () => {
  const accepted: [string, string][] = [
    ['tool.tar.gz', 'tool.tar.gz'],
    ['tool/tool-1.2.3.tar.gz', 'tool/tool-1.2.3.tar.gz'],
    ['./a//b', 'a/b'],
    ['a/./b', 'a/b'],
    ['..foo', '..foo'],
    ['a/..b/c', 'a/..b/c'],
    ['.hidden', '.hidden'],
    ['dir:colon', 'dir:colon'],
    ['日本語/ファイル.txt', '日本語/ファイル.txt'],
    ['a'.repeat(245), 'a'.repeat(245)],
    [`${'d'.repeat(255)}/f`, `${'d'.repeat(255)}/f`],
  ];
  for (const [input, normalised] of accepted) {
    it(`accepts ${JSON.stringify(input.slice(0, 40))}`, () => assert.deepEqual(checkRelativePath(input), { ok: true, path: normalised }));
  }

  const rejected: [string, string][] = [
    ['', 'it is empty'],
    ['/etc/passwd', 'it is absolute; give a path relative to `dir`'],
    ['../x', 'it contains a `..` segment; paths must stay inside `dir`'],
    ['a/../../x', 'it contains a `..` segment; paths must stay inside `dir`'],
    ['a/..', 'it contains a `..` segment; paths must stay inside `dir`'],
    ['..', 'it contains a `..` segment; paths must stay inside `dir`'],
    ['a\0b', 'it contains a NUL character'],
    ['a\nb', 'it contains a control character'],
    ['a\\b', 'it contains a backslash; separate folders with /'],
    ['..\\x', 'it contains a backslash; separate folders with /'],
    ['C:x', 'it starts with a drive letter; give a path relative to `dir`'],
    ['c:/windows/x', 'it starts with a drive letter; give a path relative to `dir`'],
    ['dir/', 'it ends with /; name a file, not a folder'],
    ['dir/.', 'it ends with /.; name a file, not a folder'],
    ['.', 'it ends with /.; name a file, not a folder'],
    ['./', 'it ends with /; name a file, not a folder'],
    // 246–255 bytes fit in a directory entry, but `<name>.pdl-claim` would not: ENAMETOOLONG in the middle of a run.
    ['a'.repeat(246), 'its file name is 246 bytes, longer than 245 bytes: pdl adds .part, .pdl, .pdl-claim to it, and names stop at 255 bytes'],
    ['a'.repeat(255), 'its file name is 255 bytes, longer than 245 bytes: pdl adds .part, .pdl, .pdl-claim to it, and names stop at 255 bytes'],
    [`x/${'a'.repeat(256)}`, 'its file name is 256 bytes, longer than 245 bytes: pdl adds .part, .pdl, .pdl-claim to it, and names stop at 255 bytes'],
    ['é'.repeat(123), 'its file name is 246 bytes, longer than 245 bytes: pdl adds .part, .pdl, .pdl-claim to it, and names stop at 255 bytes'],
    [`${'d'.repeat(256)}/f`, 'a folder name in it is longer than 255 bytes'],
  ];
  for (const [input, reason] of rejected) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => assert.deepEqual(checkRelativePath(input), { ok: false, reason }));
  }
});

describe('fileNameFromUrl', () => {
  const table: [string, string | { reason: string }][] = [
    ['https://example.org/releases/tool-1.2.3.tar.gz', 'tool-1.2.3.tar.gz'],
    ['https://example.org/a%20b.txt?x=1#f', 'a b.txt'],
    ['https://example.org/caf%C3%A9.txt', 'café.txt'],
    ['https://example.org/', { reason: 'cannot derive a file name from the URL; add `path:`' }],
    ['https://example.org', { reason: 'cannot derive a file name from the URL; add `path:`' }],
    ['https://example.org/dir/', { reason: 'cannot derive a file name from the URL; add `path:`' }],
    ['https://example.org/a%2Fb', { reason: 'cannot derive a file name from the URL: its last segment decodes to "a/b", which contains /; add `path:`' }],
    ['https://example.org/x/%2e%2e%2fetc', { reason: 'cannot derive a file name from the URL: its last segment decodes to "../etc", which contains /; add `path:`' }],
    ['https://example.org/a%5Cb', { reason: 'cannot derive a file name from the URL: its last segment decodes to "a\\\\b" and contains a backslash; separate folders with /; add `path:`' }],
    ['https://example.org/a%00b', { reason: 'cannot derive a file name from the URL: its last segment decodes to "a\\u0000b" and contains a NUL character; add `path:`' }],
    ['https://example.org/C%3Ax', { reason: 'cannot derive a file name from the URL: its last segment decodes to "C:x" and starts with a drive letter; give a path relative to `dir`; add `path:`' }],
    [`https://example.org/${'n'.repeat(245)}`, 'n'.repeat(245)],
    [
      `https://example.org/${'n'.repeat(246)}`,
      { reason: `cannot derive a file name from the URL: its last segment decodes to "${'n'.repeat(246)}" and its file name is 246 bytes, longer than 245 bytes: pdl adds .part, .pdl, .pdl-claim to it, and names stop at 255 bytes; add \`path:\`` },
    ],
    ['https://example.org/%E0%A4%A', { reason: 'cannot derive a file name from the URL: its last segment is not valid percent-encoding; add `path:`' }],
  ];
  for (const [url, expected] of table) {
    it(url, () => {
      const result = fileNameFromUrl(new URL(url));
      assert.deepEqual(result, typeof expected === 'string' ? { ok: true, path: expected } : { ok: false, ...expected });
    });
  }

  it('refuses a name that contains an expanded secret, without showing it', () => {
    const result = fileNameFromUrl(new URL('https://example.org/files/hunter2.bin'), ['hunter2']);
    assert.deepEqual(result, { ok: false, reason: 'cannot derive a file name from the URL: its last segment comes from an environment variable; add `path:`' });
  });
});

describe('outputPath', () => {
  const dir = resolve('/tmp/pdl-out');
  it('joins a checked path inside the folder', () => assert.equal(outputPath(dir, 'a/b.txt'), join(dir, 'a', 'b.txt')));
  it('refuses anything that resolves outside or onto the folder itself', () => {
    for (const rel of ['../x', '/etc/passwd', '.', '']) assert.equal(outputPath(dir, rel), undefined, rel);
  });
  it('allows names that merely start with two dots', () => assert.equal(outputPath(dir, '..foo'), join(dir, '..foo')));
  it('joins the same way whether the folder is written normalised or not', () => {
    for (const folder of [dir, `${dir}/`, `${dir}/./x/..`, '/']) {
      for (const rel of ['a/b.txt', 'a-b_c.d', 'x/.hidden', 'x/..y']) assert.equal(outputPath(folder, rel), resolve(folder, rel), `${folder} ${rel}`);
    }
  });
});

describe('findPathConflicts', () => {
  const table: { name: string; paths: string[]; expected: [number, string][] }[] = [
    { name: 'distinct paths', paths: ['a.txt', 'b.txt', 'd/a.txt'], expected: [] },
    {
      name: 'same path, different case',
      paths: ['Tool.tar.gz', 'x', 'tool.TAR.gz'],
      expected: [[2, 'same output path as files[0] ("Tool.tar.gz"); paths are compared case-insensitively']],
    },
    {
      name: 'a file, then a file inside it',
      paths: ['a', 'a/b'],
      expected: [[1, '"a/b" needs a folder where files[0] ("a") writes a file']],
    },
    {
      name: 'a file inside a folder, then the folder as a file',
      paths: ['a/b/c', 'A/B'],
      expected: [[1, '"A/B" is a folder of files[0] ("a/b/c"); it cannot also be a file']],
    },
    {
      name: 'each conflict names the first entry',
      paths: ['x', 'x', 'X'],
      expected: [
        [1, 'same output path as files[0] ("x"); paths are compared case-insensitively'],
        [2, 'same output path as files[0] ("x"); paths are compared case-insensitively'],
      ],
    },
    { name: 'siblings sharing a prefix are fine', paths: ['ab', 'a/b', 'a.b'], expected: [] },
    {
      name: "an entry named like another's partial download or control file",
      paths: ['x.bin', 'X.bin.part', 'x.bin.pdl', 'x.bin.pdl-claim', 'y.bin.pdl-claim', 'y.bin'],
      expected: [
        [1, '"X.bin.part" is the name pdl uses for the partial download of files[0] ("x.bin")'],
        [2, '"x.bin.pdl" is the name pdl uses for the partial download of files[0] ("x.bin")'],
        [3, '"x.bin.pdl-claim" is the name pdl uses for the partial download of files[0] ("x.bin")'],
        [5, 'files[4] ("y.bin.pdl-claim") uses the name pdl gives the partial download of "y.bin"'],
      ],
    },
    {
      name: "the output folder's state file (any case) is pdl's; in a subfolder it is an ordinary name",
      paths: ['.PDL-state.json', 'sub/.pdl-state.json'],
      expected: [[0, '".PDL-state.json" is the name of pdl\'s state file in the output folder']],
    },
    {
      name: "the output folder's host capacity file is pdl's too",
      paths: ['.pdl-hosts.json', 'sub/.pdl-hosts.json'],
      expected: [[0, '".pdl-hosts.json" is the name of pdl\'s host capacity file in the output folder']],
    },
    {
      name: 'the same, listed the other way round',
      paths: ['y.part', 'y.pdl-claim', 'y'],
      expected: [
        [2, 'files[0] ("y.part") uses the name pdl gives the partial download of "y"'],
        [2, 'files[1] ("y.pdl-claim") uses the name pdl gives the partial download of "y"'],
      ],
    },
    {
      name: 'Unicode normalisation forms compare equal',
      paths: ['caf\u00e9', 'cafe\u0301'],
      expected: [[1, 'same output path as files[0] ("café"); paths are compared case-insensitively']],
    },
  ];
  for (const { name, paths, expected } of table) {
    it(name, () => {
      const conflicts = findPathConflicts(paths.map((relPath, index) => ({ index, relPath })));
      assert.deepEqual(conflicts.map((c) => [c.index, c.message]), expected);
    });
  }
});

/** findPathConflicts as first written: every ancestor and every companion name looked up for every entry. */
function referenceConflicts(claims: { index: number; relPath: string }[]): [number, string][] {
  const suffixes = ['.part', '.pdl', '.pdl-claim'];
  const files = new Map<string, { index: number; relPath: string }>();
  const folders = new Map<string, { index: number; relPath: string }>();
  const out: [number, string][] = [];
  const show = (claim: { index: number; relPath: string }) => `files[${claim.index}] (${JSON.stringify(claim.relPath)})`;
  for (const claim of claims) {
    const key = claim.relPath.normalize('NFC').toLowerCase();
    const ancestors: string[] = [];
    for (let slash = key.indexOf('/'); slash !== -1; slash = key.indexOf('/', slash + 1)) ancestors.push(key.slice(0, slash));
    const same = files.get(key);
    const workFile = suffixes.map((suffix) => (key.endsWith(suffix) ? files.get(key.slice(0, -suffix.length)) : undefined)).find(Boolean);
    const usedAsFolder = folders.get(key);
    const blockingFile = ancestors.map((folder) => files.get(folder)).find(Boolean);
    let message: string | undefined;
    if (same) message = `same output path as ${show(same)}; paths are compared case-insensitively`;
    else if (key === '.pdl-state.json' || key === '.pdl-hosts.json' || key === '.pdl-run.lock') message = 'reserved';
    else if (workFile) message = `${JSON.stringify(claim.relPath)} is the name pdl uses for the partial download of ${show(workFile)}`;
    else if (usedAsFolder) message = `${JSON.stringify(claim.relPath)} is a folder of ${show(usedAsFolder)}; it cannot also be a file`;
    else if (blockingFile) message = `${JSON.stringify(claim.relPath)} needs a folder where ${show(blockingFile)} writes a file`;
    if (message !== undefined) {
      out.push([claim.index, message]);
      continue;
    }
    files.set(key, claim);
    for (const suffix of suffixes) {
      const earlier = files.get(key + suffix);
      if (earlier) out.push([claim.index, `${show(earlier)} uses the name pdl gives the partial download of ${JSON.stringify(claim.relPath)}`]);
    }
    for (const folder of ancestors) if (!folders.has(folder)) folders.set(folder, claim);
  }
  return out;
}

describe('findPathConflicts against the first, plain version (differential)', () => {
  it('reports the same conflicts on generated path lists (fixed seed)', () => {
    const random = seededRandom(47);
    const names = ['a', 'A', 'b', 'a.part', 'a.pdl', 'b.pdl-claim', 'x/a', 'x'];
    let reported = 0;
    for (let round = 0; round < 5_000; round++) {
      const paths = Array.from({ length: 1 + random(8) }, () => Array.from({ length: 1 + random(3) }, () => names[random(names.length)]).join('/'));
      const claims = paths.map((relPath, index) => ({ index, relPath }));
      const expected = referenceConflicts(claims);
      const actual = findPathConflicts(claims).map((c): [number, string] => [c.index, c.message.includes("is the name of pdl's") ? 'reserved' : c.message]);
      assert.deepEqual(actual, expected, JSON.stringify(paths));
      reported += expected.length;
    }
    assert.ok(reported > 1000, `only ${reported} conflicts generated`);
  });
});

describe('plain paths taken by one pattern (differential)', () => {
  const random = seededRandom(31);
  const pieces = ['a', 'b', '0', '.', '..', '-', '_', '/', '/', '//', 'É', ' ', '\\', ':', '\0', '~', 'C:', 'x'.repeat(246), 'y'.repeat(256)];
  const path = () => Array.from({ length: 1 + random(6) }, () => pieces[random(pieces.length)]).join('');

  it('accepts a path only as the full check does, `./` in front sending it the long way (fixed seed)', () => {
    let plain = 0;
    for (let round = 0; round < 20_000; round++) {
      const text = path();
      const checked = checkRelativePath(text);
      const slow = checkRelativePath(`./${text}`);
      // `./` changes nothing for a relative path; the full check alone knows absolute paths and drive letters.
      if (text.startsWith('/') || /^[A-Za-z]:/.test(text)) continue;
      if (checked.ok && checked.path === text) plain++;
      assert.deepEqual(checked.ok ? checked.path : 'rejected', slow.ok ? slow.path : 'rejected', JSON.stringify(text));
    }
    assert.ok(plain > 1000, `only ${plain} plain paths`);
  });

  it('joins a plain path to its folder exactly as path.resolve does', () => {
    for (const dir of ['/', '/out', '/a/b', '/a/b/', '/a/../b', '/a/./b', '//a', 'rel']) {
      for (const rel of ['f', 'a/b.c', 'x-y_z/0', 'a/..b', '...']) {
        assert.equal(outputPath(dir, rel), resolve(dir, rel), `${dir} + ${rel}`);
      }
    }
  });
});
