import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { UsageError } from '../../src/errors.js';
import { pinChecksums } from '../../src/lockfile/pin.js';

const hex = (c: string) => c.repeat(64);
const sum = (c: string) => `checksum: sha256:${hex(c)}`;

/** The output must be the input with exactly `inserted` lines added (and short-form `url: ` prefixes). */
function removeInserted(output: string, prefix: string): string {
  return output.split('\n').filter((line) => !line.trimStart().startsWith('checksum: sha256:') || !line.includes(prefix)).join('\n');
}

test('pinChecksums: inserts only checksum lines; comments, blank lines, quoting and order stay byte for byte', () => {
  const input = [
    '# yaml-language-server: $schema=./schemas/job.schema.json',
    'version: 1   # the format',
    '',
    'defaults:',
    '  dir: ./out # where',
    'files:',
    '  # the big one',
    '  - url: "https://example.org/a.iso"   # quoted, with a comment',
    '    path: iso/a.iso',
    '    headers: { Authorization: "Bearer ${TOKEN}" }',
    '',
    '  - path: b.bin # path first',
    '    url: https://example.org/b.bin',
    '    priority: 3',
    '  - url: https://example.org/c.bin',
    '    checksum: md5:00000000000000000000000000000000  # kept as it is',
    '  - url: https://example.org/d.bin',
    '# trailing comment',
    '',
  ].join('\n');
  const digests = new Map([[0, hex('a')], [1, hex('b')], [2, hex('c')], [3, hex('d')]]);
  const { text, pinned } = pinChecksums(input, digests);
  assert.deepEqual(pinned, [0, 1, 3]);
  const expected = [
    '# yaml-language-server: $schema=./schemas/job.schema.json',
    'version: 1   # the format',
    '',
    'defaults:',
    '  dir: ./out # where',
    'files:',
    '  # the big one',
    '  - url: "https://example.org/a.iso"   # quoted, with a comment',
    `    ${sum('a')}`,
    '    path: iso/a.iso',
    '    headers: { Authorization: "Bearer ${TOKEN}" }',
    '',
    '  - path: b.bin # path first',
    '    url: https://example.org/b.bin',
    `    ${sum('b')}`,
    '    priority: 3',
    '  - url: https://example.org/c.bin',
    '    checksum: md5:00000000000000000000000000000000  # kept as it is',
    '  - url: https://example.org/d.bin',
    `    ${sum('d')}`,
    '# trailing comment',
    '',
  ].join('\n');
  assert.equal(text, expected);
  // Byte-for-byte: dropping the inserted lines gives the input back.
  assert.equal(removeInserted(text, 'sha256:'), input);
});

test('pinChecksums: a short-form entry becomes `url:` + `checksum:`; flow forms get the key inline', () => {
  const cases: Array<{ name: string; input: string; output: string }> = [
    {
      name: 'bare URL in a block list, with a comment',
      input: 'version: 1\nfiles:\n  - https://example.org/x.bin  # small\n  - https://example.org/y.bin\n',
      output: `version: 1\nfiles:\n  - url: https://example.org/x.bin  # small\n    ${sum('a')}\n  - url: https://example.org/y.bin\n    ${sum('b')}\n`,
    },
    {
      name: 'no final line break',
      input: 'version: 1\nfiles:\n- "https://example.org/x.bin"',
      output: `version: 1\nfiles:\n- url: "https://example.org/x.bin"\n  ${sum('a')}`,
    },
    {
      name: 'CRLF line endings are kept',
      input: 'version: 1\r\nfiles:\r\n  - url: https://example.org/x.bin\r\n  - https://example.org/y.bin\r\n',
      output: `version: 1\r\nfiles:\r\n  - url: https://example.org/x.bin\r\n    ${sum('a')}\r\n  - url: https://example.org/y.bin\r\n    ${sum('b')}\r\n`,
    },
    {
      name: 'flow list and flow mapping (trailing comma)',
      input: 'version: 1\nfiles: [https://example.org/x.bin, {url: https://example.org/y.bin,}]\n',
      output: `version: 1\nfiles: [{ url: https://example.org/x.bin, ${sum('a')} }, {url: https://example.org/y.bin, ${sum('b')}}]\n`,
    },
  ];
  for (const { name, input, output } of cases) {
    const { text } = pinChecksums(input, new Map([[0, hex('a')], [1, hex('b')]]));
    assert.equal(text, output, name);
    const data = parse(text) as { files: Array<{ url: string; checksum: string }> };
    assert.equal(data.files[0]?.checksum, `sha256:${hex('a')}`, name);
  }
});

test('pinChecksums: entries without a digest are untouched; an alias entry is refused', () => {
  const input = 'version: 1\nfiles:\n  - https://example.org/x.bin\n  - https://example.org/y.bin\n';
  assert.equal(pinChecksums(input, new Map()).text, input);
  assert.equal(pinChecksums(input, new Map([[1, hex('b')]])).text, `version: 1\nfiles:\n  - https://example.org/x.bin\n  - url: https://example.org/y.bin\n    ${sum('b')}\n`);
  const alias = 'version: 1\nx: &u https://example.org/x.bin\nfiles:\n  - *u\n';
  assert.throws(() => pinChecksums(alias, new Map([[0, hex('a')]])), (e) => e instanceof UsageError && /files\[0\]/.test(e.message));
});
