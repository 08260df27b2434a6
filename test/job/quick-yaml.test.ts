import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineCounter, parseDocument } from 'yaml';
import { quickParse } from '../../src/job/quick-yaml.js';
import { parseYaml } from '../../src/job/yaml.js';
import { load, problems, seededRandom, yaml } from './helpers.js';

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
  it('leaves structures deeper than its limit to the full parse, however they nest (`- key:` and a key\'s `- ` included)', () => {
    // 60 levels of `- kN:` (a mapping in an item, a sequence under a key): yaml refuses past 64 levels.
    const deep = Array.from({ length: 60 }, (_, n) => `${' '.repeat(2 * n)}- k${n}:`).join('\n');
    assert.equal(quickParse(`${deep}\n`), undefined);
    const keyed = Array.from({ length: 40 }, (_, n) => `${' '.repeat(2 * n)}k${n}:\n${' '.repeat(2 * n)}- `).join('');
    assert.equal(quickParse(keyed.replace(/- $/, '- x\n')), undefined);
  });

  it('reads the block style job files are written in, exactly as yaml does', () => {
    const accepted = [
      yaml('version: 1', 'files:', '  - https://example.org/a.iso', '  - url: https://example.org/b.iso', '    path: out/b.iso'),
      yaml('version: 1', 'files:', '- url: https://example.org/b.iso', '  checksum: sha256:abc', '- https://x/c'),
      yaml('# a job', 'version: 1  # the only one', '', 'defaults:', '  dir: ./dl', '  connections: 4', '  headers:', '    X-Token: "${TOKEN}"', "    Accept: 'text/plain'"),
      yaml('a: ~', 'b:', 'c: null', 'd: True', 'e: false', 'f: +12', 'g: 007', 'h: 1_000', 'i: 1.5GB', 'j: 30s', 'k: a:b', 'l: x # comment', 'm: a#b'),
      yaml('files:', '  - urls:', '    - https://a/x', '    - https://b/x', '    path: x', '  -', '    url: https://c/y', '  - ', '  - # nothing'),
      yaml('a:', '  b:', '    c: not [flow], {d}', 'e: "it\'s"', "f: 'say \"hi\"'", 'g: "a # b"', 'h: héllo wörld ✓ 𝄞'),
      yaml('-   url: x', '    path: y', '- z'),
      yaml('b: 08', 'c: +1', 'd: 1_000', 'e: 0b1', 'f: 12345678901234567890', 'g: yes', 'h: on', 'i: NULL', 'j: Null', 'k: nULL'),
      yaml('a: x]', 'b: x, y', 'c: ...', 'e: \u00a0x', 'f: "#"', "g: ''", 'h: " "', 'i: 9007199254740993', 'j: +0', 'k: 00'),
      // Values that start like a null, a boolean or a number, and those that are one.
      yaml('a: False', 'b: FALSE', 'c: TRUE', 'd: Tx', 'e: fast', 'f: Nope', 'g: ~x', 'h: .x', 'i: 9a', 'j: +x', 'k: 0', 'l: nULL2', 'm: N', 'n: t'),
      yaml(...Array.from({ length: 10 }, (_, digit) => `d${digit}: ${digit}`)),
      `${'k'.repeat(1024)}: 1\n`,
      'a: 1',
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
    const random = seededRandom(12345);
    const keys = ['url', 'path', 'a.b', 'X-Key', '_x', 'on', 'yes', 'Null', 'TRUE', 'n', 'k$'];
    const scalars = ['x', 'http://h/p?q=1#f', 'a #c', 'a#c', "'q'", '"d q"', '~', '', '12', '+3', '0o7', '1.0', 'no', 'Off',
      'a: b', 'x:', ':x', '-x', '- x', '[a]', 'a,b', 'é', '"a', "'a''b'", ' #c', '0x', '.5', '1e', 'y  ', '"" #c',
      '\u00a0x', 'x\u00a0', '\u3000', 'a\u2003 #c'];
    let accepted = 0;
    for (let round = 0; round < 10_000; round++) {
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
    assert.ok(accepted > 400, `only ${accepted} of 10,000 taken by the fast path`);
  });
});

describe('quickParse on tricky YAML (differential against the loader\'s full parse)', () => {
  const random = seededRandom(777);
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
  const keys = ['url', 'url', 'path', 'files', 'a b', '"q"', "'s'", '? k', 'k ', '__proto__', 'constructor', '1', 'null', '~', 'on', 'yes',
    'Y', 'a#b', '-a', 'x.y', 'é', 'a:b', '', 'k\u00a0', 'toString', 'hasOwnProperty', 'valueOf'];
  const scalars = ['08', '+1', '1_000', '0b1', '1e3', '.5', '-0', '+0', '00', '0', '12345678901234567890', '9007199254740993', 'null', 'Null',
    'NULL', 'nULL', '~', 'yes', 'on', 'off', 'y', 'True', 'tRUE', "'it''s'", "'a'", '"a\\"b"', '"a\'b"', '"x" #c', "'x'y", 'x: y', 'x:y', 'x:',
    'x #c', 'x#c', 'x  ', '#c', '\u00a0', '\u00a0x', 'x\u2028y', '\u3000x', '...', '---', '--- x', '- x', '-x', '&a x', '*a', '!!str 1', '[a]',
    'x]', '{a: 1}', '|', '>', 'x\ty', '%x', '@x', '?x', '? x', '`x', 'x'.repeat(3000), 'http://h/p?q=1#f', '${VAR}/x', 'a\\b', '""', "''", '=',
    '<<', '.inf', '.NaN', '0x1F', '0o17', '1.', '1.0e+3', '-.5', 'x \u00a0#c', '\u2003', 'x\u2003', '"\u2003"', '\ud83d\ude00'];
  const ends = ['\n', '\n', '\n', '\n', '\n', '  \n', ' # c\n', '#c\n', '\r\n', '\n\n', '\n  \n', '\n# c\n', '\n   # c\n', '\u2028'];
  const plainKeys = ['url', 'path', 'files', 'checksum', 'priority', 'dir', 'headers', 'X-Token', 'a.b', '_k', 'k$', 'version'];
  const plainScalars = ['https://x/a.iso', 'a/b c', '12', 'x', 'true', '', '30s', '10MiB', '"quoted"', "'single'", 'a#b', 'a:b'];
  /** Mostly what job files hold, one awkward piece in four, so that enough documents are taken to compare. */
  const awkward = <T>(usual: readonly T[], odd: readonly T[]): T => (random(4) === 0 ? pick(odd) : pick(usual));
  const document = () => {
    let text = random(3) === 0 ? pick(['---\n', '--- \n', '\ufeff', '%YAML 1.2\n---\n', '# c\n', '\n', ' \n']) : '';
    let depth = 0;
    let opens = false;
    for (let n = 1 + random(10); n > 0; n--) {
      // Deeper only under a line that opens a block (now and then anyway, which YAML refuses or reads as one scalar).
      depth = Math.max(0, Math.min(depth + (opens || random(10) === 0 ? random(2) : -random(2)), 4));
      const pad = ' '.repeat(depth * 2 + (random(10) === 0 ? 1 : 0));
      const item = awkward(['', '', '- '], ['-  ', '-', '- - ']);
      const value = random(3) === 0 ? '' : ` ${awkward(plainScalars, scalars)}`;
      const scalarLine = random(5) === 0;
      opens = !scalarLine && value === '';
      text += (scalarLine ? `${pad}${item}${awkward(plainScalars, scalars)}` : `${pad}${item}${awkward(plainKeys, keys)}:${value}`) + awkward(['\n'], ends);
    }
    const tail = awkward([''], ['...\n', '---\n', '--- x\n', 'x\n', '#c']);
    return random(6) === 0 ? text.slice(0, -1) + tail : text + tail;
  };

  it('gives exactly the value the full parse gives, or stands aside (fixed seed)', () => {
    let accepted = 0;
    for (let round = 0; round < 20_000; round++) {
      const text = document();
      const quick = quickParse(text);
      if (quick === undefined) continue;
      accepted++;
      const full = parseYaml(text, new LineCounter());
      assert.ok(full.ok, `quick parse took invalid YAML ${JSON.stringify(text)}: ${full.ok ? '' : full.issues[0]?.message}`);
      assert.deepEqual(quick, full.value, `quick parse of ${JSON.stringify(text)}`);
    }
    assert.ok(accepted > 700, `only ${accepted} of 20,000 taken by the fast path`);
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
