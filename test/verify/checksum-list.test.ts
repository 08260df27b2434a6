/** Checksum lists: the GNU and BSD formats, the junk around them, and which line vouches for a file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupChecksum, parseChecksumList, type ChecksumLookup } from '../../src/verify/checksum-list.js';
import type { ChecksumAlgorithm } from '../../src/job/resolved.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(128);
const MD5 = 'd'.repeat(32);

const parseCases: Array<[name: string, text: string, algorithm: ChecksumAlgorithm | undefined, entries: Array<[string, string]>]> = [
  ['GNU text mode (two spaces)', `${A}  foo.iso\n`, 'sha256', [['foo.iso', A]]],
  ['GNU binary mode (*)', `${A} *foo.iso\n`, 'sha256', [['foo.iso', A]]],
  ['one space (BSD `sha256 -r`)', `${A} foo.iso`, 'sha256', [['foo.iso', A]]],
  ['upper-case hex is lowered', `${A.toUpperCase()}  foo.iso`, 'sha256', [['foo.iso', A]]],
  ['CRLF line ends', `${A}  foo.iso\r\n${B}  bar.iso\r\n`, 'sha256', [['foo.iso', A], ['bar.iso', B]]],
  ['names with spaces, and a leading space kept', `${A}  my file.iso\n${B}   lead.iso`, 'sha256', [['my file.iso', A], [' lead.iso', B]]],
  ['leading ./ dropped, folders kept', `${A}  ./foo.iso\n${B}  amd64/foo.iso`, 'sha256', [['foo.iso', A], ['amd64/foo.iso', B]]],
  ['GNU escaped names', `\\${A}  back\\\\slash\n\\${B}  new\\nline`, 'sha256', [['back\\slash', A], ['new\nline', B]]],
  ['BSD tag format', `SHA256 (foo.iso) = ${A}\nSHA256 (bar (1).iso) = ${B}`, 'sha256', [['foo.iso', A], ['bar (1).iso', B]]],
  ['OpenSSL format', `SHA2-256(foo.iso)= ${A}`, 'sha256', [['foo.iso', A]]],
  ['BSD lines of another algorithm are skipped', `SHA512 (foo.iso) = ${C}\nSHA256 (foo.iso) = ${A}`, 'sha256', [['foo.iso', A]]],
  ['sha512 list read as sha512', `SHA512 (foo.iso) = ${C}\nSHA256 (foo.iso) = ${A}`, 'sha512', [['foo.iso', C]]],
  ['GNU lines of the wrong length are skipped', `${MD5}  short.iso\n${C}  long.iso\n${A}  ok.iso`, 'sha256', [['ok.iso', A]]],
  ['without an algorithm, any known length', `${MD5}  m\n${A}  s`, undefined, [['m', MD5], ['s', A]]],
  [
    'comments, blank lines and a PGP-signed wrapper are skipped',
    [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA256',
      '',
      '# Fedora-Server-41.iso: 2612854784 bytes',
      `SHA256 (Fedora-Server-41.iso) = ${A}`,
      '   ',
      '-----BEGIN PGP SIGNATURE-----',
      'iQIzBAEBCAAdFiEEabcdef0123456789abcdef0123456789abcdef0123456789ab',
      '=AbCd',
      '-----END PGP SIGNATURE-----',
    ].join('\n'),
    'sha256',
    [['Fedora-Server-41.iso', A]],
  ],
  ['junk: not hex, no name, hex then nothing', `zz${A.slice(2)}  x\n${A}\n${A}  \nhello world\n`, 'sha256', []],
  ['the same line twice is fine', `${A}  foo.iso\n${A} *foo.iso`, 'sha256', [['foo.iso', A]]],
  ['a name with two different digests is dropped', `${A}  foo.iso\n${B}  foo.iso\n${A}  foo.iso\n${B}  ok`, 'sha256', [['ok', B]]],
  ['empty text', '', 'sha256', []],
];

for (const [name, text, algorithm, entries] of parseCases) {
  test(`parseChecksumList: ${name}`, () => {
    assert.deepEqual([...parseChecksumList(text, algorithm).entries], entries);
  });
}

test('parseChecksumList records names given two different digests as conflicts', () => {
  const list = parseChecksumList(`${A}  foo.iso\n${B}  foo.iso\n${A}  foo.iso`, 'sha256');
  assert.deepEqual([...list.conflicts], ['foo.iso']);
});

const list = parseChecksumList(
  [`${A}  foo.iso`, `${B}  amd64/bar.iso`, `${A}  arm64/baz.iso`, `${B}  x86/baz.iso`, `${A}  dup.iso`, `${B}  dup.iso`].join('\n'),
  'sha256',
);
const lookupCases: Array<[name: string, names: string[], expected: ChecksumLookup]> = [
  ['exact name', ['foo.iso'], { ok: true, hex: A, name: 'foo.iso' }],
  ['the first name that is listed wins', ['renamed.iso', 'foo.iso'], { ok: true, hex: A, name: 'foo.iso' }],
  ['a folder in the list matches by basename', ['bar.iso'], { ok: true, hex: B, name: 'amd64/bar.iso' }],
  ['an output path with folders matches the same path', ['amd64/bar.iso'], { ok: true, hex: B, name: 'amd64/bar.iso' }],
  ['two basenames with different digests: a conflict, never a guess', ['baz.iso'], { ok: false, reason: 'conflict', names: ['arm64/baz.iso', 'x86/baz.iso'] }],
  ['a name listed with two digests', ['dup.iso'], { ok: false, reason: 'conflict', names: ['dup.iso'] }],
  ['missing: every name tried, once', ['nope.iso', 'nope.iso', 'other.iso'], { ok: false, reason: 'missing', names: ['nope.iso', 'other.iso'] }],
];

for (const [name, names, expected] of lookupCases) {
  test(`lookupChecksum: ${name}`, () => {
    assert.deepEqual(lookupChecksum(list, names), expected);
  });
}
