import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { quickParse } from '../../src/job/quick-yaml.js';
import { load, problems, yaml } from './helpers.js';

/** What the full parser makes of `text` with the loader's options, or 'invalid' when it reports anything. */
function full(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, schema: 'core', merge: false, logLevel: 'silent' });
  return doc.errors.length + doc.warnings.length > 0 ? 'invalid' : doc.toJS({ maxAliasCount: 100 });
}

/** The fast path either stands aside or gives exactly what `yaml` gives, for valid YAML only. */
function agrees(text: string): boolean {
  const quick = quickParse(text);
  if (quick === undefined) return false;
  assert.deepEqual(quick, full(text), `quick parse of ${JSON.stringify(text)}`);
  return true;
}

describe('quickParse', () => {
  it('reads the block style job files are written in, exactly as yaml does', () => {
    const accepted = [
      yaml('version: 1', 'files:', '  - https://example.org/a.iso', '  - url: https://example.org/b.iso', '    path: out/b.iso'),
      yaml('version: 1', 'files:', '- url: https://example.org/b.iso', '  checksum: sha256:abc', '- https://x/c'),
      yaml('# a job', 'version: 1  # the only one', '', 'defaults:', '  dir: ./dl', '  connections: 4', '  headers:', '    X-Token: "${TOKEN}"', "    Accept: 'text/plain'"),
      yaml('a: ~', 'b:', 'c: null', 'd: True', 'e: false', 'f: +12', 'g: 007', 'h: 1_000', 'i: 1.5GB', 'j: 30s', 'k: a:b', 'l: x # comment', 'm: a#b'),
      yaml('files:', '  - urls:', '    - https://a/x', '    - https://b/x', '    path: x', '  -', '    url: https://c/y', '  - ', '  - # nothing'),
      yaml('a:', '  b:', '    c: not [flow], {d}', 'e: "it\'s"', "f: 'say \"hi\"'", 'g: "a # b"', 'h: héllo wörld ✓ 𝄞'),
      yaml('-   url: x', '    path: y', '- z'),
    ];
    for (const text of accepted) assert.equal(agrees(text), true, `expected the fast path to take ${JSON.stringify(text)}`);
  });

  it('stands aside for everything it is not sure of', () => {
    const declined = [
      'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: [1, 2]\n', 'a: {b: 1}\n', 'a: |\n  text\n', 'a: >\n  text\n', '---\na: 1\n',
      'a: 1\n---\nb: 2\n', 'a: 1\r\n', 'a:\t1\n', '\ufeffa: 1\n', 'a: "x\\ty"\n', "a: 'it''s'\n", 'a: 1\na: 2\n',
      '__proto__: 1\n', 'constructor: 1\n', 'true: 1\n', 'null: 1\n', '1: a\n', '"a": 1\n', 'a: b\n  c\n', 'a: 1.5\n',
      'a: 0x1f\n', 'a: .inf\n', 'a: 1e3\n', 'a: -1\n', 'a: b: c\n', 'a: b:\n', 'a:b\n', '- - a\n', '? a\n', 'a\n', '',
      '# only a comment\n', '  a: 1\n', 'a:\n    b: 1\n  c: 2\n', 'a: "unclosed\n', 'a: "x" y\n', 'a: @x\n', 'a: `x\n',
      '- a\nb: 1\n', 'a: 1\n- b\n', `${'a:\n'.repeat(1)}${Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')}\n`,
      'a: x\u2028y\n', 'a: x\x85y\n', 'a: x\x07y\n',
    ];
    for (const text of declined) assert.equal(quickParse(text), undefined, JSON.stringify(text));
  });

  it('agrees with yaml on random documents built from awkward pieces (fixed seed)', () => {
    let seed = 12345;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const keys = ['url', 'path', 'a.b', 'X-Key', '_x', 'on', 'yes', 'Null', 'TRUE', 'n', 'k$'];
    const scalars = ['x', 'http://h/p?q=1#f', 'a #c', 'a#c', "'q'", '"d q"', '~', '', '12', '+3', '0o7', '1.0', 'no', 'Off',
      'a: b', 'x:', ':x', '-x', '- x', '[a]', 'a,b', 'é', '"a', "'a''b'", ' #c', '0x', '.5', '1e', 'y  ', '"" #c',
      '\u00a0x', 'x\u00a0', '\u3000', 'a\u2003 #c'];
    let accepted = 0;
    for (let round = 0; round < 3000; round++) {
      const lines: string[] = [];
      let depth = 0;
      for (let n = 1 + random(8); n > 0; n--) {
        depth = Math.max(0, Math.min(depth + random(3) - 1, 3));
        const pad = '  '.repeat(depth) + ' '.repeat(random(5) === 0 ? 1 : 0);
        const item = random(3) === 0 ? '- ' : '';
        const value = random(4) === 0 ? '' : ` ${scalars[random(scalars.length)]}`;
        lines.push(random(6) === 0 ? `${pad}${item}${scalars[random(scalars.length)]}` : `${pad}${item}${keys[random(keys.length)]}:${value}`);
      }
      if (agrees(`${lines.join('\n')}\n`)) accepted++;
    }
    // Enough of them went the fast way for the comparison to mean something.
    assert.ok(accepted > 300, `only ${accepted} of 3000 taken by the fast path`);
  });
});

describe('big job files', () => {
  const entries = (n: number, bad?: number) => Array.from({ length: n }, (_, i) => [
    `  - url: https://example.org/f/${i}.bin`,
    `    path: d${i % 100}/${i}.bin`,
    i === bad ? '    retries: lots' : `    checksum: sha256:${'0'.repeat(64)}`,
  ]).flat();

  it('loads a 10,000-entry job with every file in order', () => {
    const job = load(yaml('version: 1', 'files:', ...entries(10_000)));
    assert.equal(job.files.length, 10_000);
    assert.deepEqual([job.files[0]?.relPath, job.files[9_999]?.relPath, job.files[9_999]?.index], ['d0/0.bin', 'd99/9999.bin', 9_999]);
  });

  it('points at the line and column of one bad value deep inside a 10,000-entry job', () => {
    // Entry i starts on line 3 + 3i: entry 7,777's third line (23,336) holds the bad value, after `    retries: `.
    assert.deepEqual(problems(yaml('version: 1', 'files:', ...entries(10_000, 7_777))), [
      'jobs.yaml:23336:14 files[7777].retries: expected an integer from 0 to 100, got "lots"',
    ]);
  });

  it('points at the later of two entries writing one path, deep inside a big job', () => {
    const lines = entries(10_000);
    lines[3 * 9_000 + 1] = '    path: d0/0.bin';
    assert.deepEqual(problems(yaml('version: 1', 'files:', ...lines)), [
      'jobs.yaml:27004:11 files[9000].path: same output path as files[0] ("d0/0.bin"); paths are compared case-insensitively',
    ]);
  });
});
