/** Every rejection of a job file: the exact message and the line:column it points at. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { problems, yaml } from './helpers.js';

interface Row {
  name: string;
  text: string;
  env?: Record<string, string>;
  expected: string[];
}

/** A job whose third line starts the files list; rows add their own lines around it. */
const job = (...files: string[]) => yaml('version: 1', 'files:', ...files);

const schemaRows: Row[] = [
  { name: 'version 2', text: yaml('version: 2', 'files: [https://e.org/a]'), expected: ['jobs.yaml:1:10 version: expected 1 (the only job file version), got 2'] },
  { name: 'version as a string', text: yaml('version: "1"', 'files: [https://e.org/a]'), expected: ['jobs.yaml:1:10 version: expected 1 (the only job file version), got "1"'] },
  { name: 'version missing', text: yaml('files: [https://e.org/a]'), expected: ['jobs.yaml:1:1 version: is required but missing'] },
  { name: 'files missing', text: yaml('version: 1'), expected: ['jobs.yaml:1:1 files: is required but missing'] },
  { name: 'files empty', text: yaml('version: 1', 'files: []'), expected: ['jobs.yaml:2:8 files: expected at least one file, got an empty list'] },
  { name: 'files a mapping', text: yaml('version: 1', 'files:', '  a: b'), expected: ['jobs.yaml:3:3 files: expected a list of files, got a mapping'] },
  {
    name: 'unknown top-level key, close to a known one',
    text: yaml('version: 1', 'defualts: {}', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:2:1 defualts: unknown key `defualts`; did you mean `defaults`?'],
  },
  {
    name: 'misspelt key in defaults',
    text: yaml('version: 1', 'defaults:', '  conection: 3', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:3:3 defaults.conection: unknown key `conection`; did you mean `connections`?'],
  },
  {
    name: 'a per-file key at the top level',
    text: yaml('version: 1', 'retries: 3', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:2:1 retries: unknown key `retries` here; `retries` belongs in `defaults` or a file entry'],
  },
  {
    name: 'dir in a file entry',
    text: job('  - url: https://e.org/a', '    dir: x'),
    expected: ['jobs.yaml:4:5 files[0].dir: unknown key `dir` here; `dir` belongs in `defaults`'],
  },
  {
    name: 'an unknown key with no close match lists the allowed ones',
    text: yaml('version: 1', 'limits:', '  bandwidth: 5', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:3:3 limits.bandwidth: unknown key `bandwidth`; expected one of `files`, `connections`, `perHost`, `rate`'],
  },
  {
    name: 'connections out of range and fractional',
    text: yaml('version: 1', 'defaults:', '  connections: 0', 'files:', '  - url: https://e.org/a', '    connections: 2.5', '  - url: https://e.org/b', '    connections: 65'),
    expected: [
      'jobs.yaml:3:16 defaults.connections: expected an integer from 1 to 64, got 0',
      'jobs.yaml:6:18 files[0].connections: expected an integer from 1 to 64, got 2.5',
      'jobs.yaml:8:18 files[1].connections: expected an integer from 1 to 64, got 65',
    ],
  },
  {
    name: 'a number written as a string',
    text: job('  - url: https://e.org/a', '    connections: "8"'),
    expected: ['jobs.yaml:4:18 files[0].connections: expected an integer from 1 to 64, got "8"'],
  },
  {
    name: 'limits out of range',
    text: yaml('version: 1', 'limits:', '  files: 0', '  connections: 1025', '  perHost: 2000', 'files: [https://e.org/a]'),
    expected: [
      'jobs.yaml:3:10 limits.files: expected an integer from 1 to 1024, got 0',
      'jobs.yaml:4:16 limits.connections: expected an integer from 1 to 1024, got 1025',
      'jobs.yaml:5:12 limits.perHost: expected an integer from 1 to 1024, got 2000',
    ],
  },
  {
    name: 'retries and priority',
    text: job('  - url: https://e.org/a', '    retries: -1', '    priority: 1000001', '  - url: https://e.org/b', '    retries: 101', '    priority: 0.5'),
    expected: [
      'jobs.yaml:4:14 files[0].retries: expected an integer from 0 to 100, got -1',
      'jobs.yaml:5:15 files[0].priority: expected an integer from -1000000 to 1000000, got 1000001',
      'jobs.yaml:7:14 files[1].retries: expected an integer from 0 to 100, got 101',
      'jobs.yaml:8:15 files[1].priority: expected an integer from -1000000 to 1000000, got 0.5',
    ],
  },
  {
    name: 'minSplitSize bounds and syntax',
    text: job(
      '  - url: https://e.org/a',
      '    minSplitSize: 1KiB',
      '  - url: https://e.org/b',
      '    minSplitSize: 2TiB',
      '  - url: https://e.org/c',
      '    minSplitSize: 1000',
      '  - url: https://e.org/d',
      '    minSplitSize: 4 megs',
    ),
    expected: [
      'jobs.yaml:4:19 files[0].minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got "1KiB"',
      'jobs.yaml:6:19 files[1].minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got "2TiB"',
      'jobs.yaml:8:19 files[2].minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got 1000',
      'jobs.yaml:10:19 files[3].minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got "4 megs"',
    ],
  },
  {
    name: 'timeout bounds and syntax',
    text: yaml('version: 1', 'defaults:', '  timeout: 50ms', 'files:', '  - url: https://e.org/a', '    timeout: 25h', '  - url: https://e.org/b', '    timeout: forever'),
    expected: [
      'jobs.yaml:3:12 defaults.timeout: expected a duration from 100ms to 24h such as 30s, got "50ms"',
      'jobs.yaml:6:14 files[0].timeout: expected a duration from 100ms to 24h such as 30s, got "25h"',
      'jobs.yaml:8:14 files[1].timeout: expected a duration from 100ms to 24h such as 30s, got "forever"',
    ],
  },
  {
    name: 'values that overflow once the unit is applied, or are fractions of the base unit, beside another problem',
    text: yaml(
      'version: 1',
      'defaults:',
      '  timeout: 99999999999999999999h',
      '  minSplitSize: "1.5"',
      '  retries: lots',
      'limits: { rate: 99999999999999999999999TiB }',
      'files:',
      '  - url: https://e.org/a',
      '    timeout: 90071992547409910ms',
      '  - url: https://e.org/b',
      '    minSplitSize: 9007199254740992TiB',
    ),
    expected: [
      'jobs.yaml:3:12 defaults.timeout: expected a duration from 100ms to 24h such as 30s, got "99999999999999999999h"',
      'jobs.yaml:4:17 defaults.minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got "1.5" (whole bytes without a unit)',
      'jobs.yaml:5:12 defaults.retries: expected an integer from 0 to 100, got "lots"',
      'jobs.yaml:6:17 limits.rate: expected 0 (unlimited) or a rate from 1KiB/s to 1TiB/s such as 50MiB, got "99999999999999999999999TiB"',
      'jobs.yaml:9:14 files[0].timeout: expected a duration from 100ms to 24h such as 30s, got "90071992547409910ms"',
      'jobs.yaml:11:19 files[1].minSplitSize: expected a size from 64KiB to 1TiB such as 4MiB, got "9007199254740992TiB"',
    ],
  },
  {
    name: 'a rate above 1TiB/s',
    text: yaml('version: 1', 'limits: { rate: 2TiB/s }', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:2:17 limits.rate: expected 0 (unlimited) or a rate from 1KiB/s to 1TiB/s such as 50MiB, got "2TiB/s"'],
  },
  {
    name: 'rate below 1KiB/s and a wrong unit',
    text: yaml('version: 1', 'limits:', '  rate: 512/s', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:3:9 limits.rate: expected 0 (unlimited) or a rate from 1KiB/s to 1TiB/s such as 50MiB, got "512/s"'],
  },
  {
    name: 'rate per hour',
    text: yaml('version: 1', 'limits: { rate: 50MiB/h }', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:2:17 limits.rate: expected 0 (unlimited) or a rate from 1KiB/s to 1TiB/s such as 50MiB, got "50MiB/h"'],
  },
  {
    name: 'ifExists, with and without a close match',
    text: job('  - url: https://e.org/a', '    ifExists: overwite', '  - url: https://e.org/b', '    ifExists: replace'),
    expected: [
      'jobs.yaml:4:15 files[0].ifExists: expected one of resume, skip, overwrite, fail, newer, got "overwite"; did you mean `overwrite`?',
      'jobs.yaml:6:15 files[1].ifExists: expected one of resume, skip, overwrite, fail, newer, got "replace"',
    ],
  },
  {
    name: 'checksum (the example from the docs, at line 14)',
    text: yaml(
      '# a comment',
      'version: 1',
      'defaults:',
      '  connections: 4',
      'files:',
      '  - url: https://e.org/a',
      '    checksum: sha256:' + 'a'.repeat(64),
      '  - url: https://e.org/b',
      '    checksum: SHA512:' + 'b'.repeat(128),
      '',
      '  - url: https://e.org/c',
      '    path: c.bin',
      '    priority: 1',
      '    checksum: sha256:xyz',
      '  - url: https://e.org/d',
      '    checksum: sha1:abc',
      '  - url: https://e.org/e',
      '    checksum: crc32:0a0b0c0d',
    ),
    expected: [
      'jobs.yaml:9:15 files[1].checksum: expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "SHA512:' + 'b'.repeat(53) + '…"',
      'jobs.yaml:14:15 files[2].checksum: expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "sha256:xyz"',
      'jobs.yaml:16:15 files[3].checksum: expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "sha1:abc" (3 hex digits; sha1 has 40)',
      'jobs.yaml:18:15 files[4].checksum: expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "crc32:0a0b0c0d"',
    ],
  },
  {
    name: 'file entries of the wrong kind',
    text: job('  - 5', '  -', '  - [https://e.org/a]', '  - ""', '  - url: ""', '  - path: x'),
    expected: [
      'jobs.yaml:3:5 files[0]: expected a URL or a mapping with `url:`, got 5',
      'jobs.yaml:4:4 files[1]: expected a URL or a mapping with `url:`, got an empty value (null)',
      'jobs.yaml:5:5 files[2]: expected a URL or a mapping with `url:`, got a list',
      'jobs.yaml:6:5 files[3]: expected a URL, got an empty string',
      'jobs.yaml:7:10 files[4].url: expected a URL, got an empty string',
      'jobs.yaml:8:5 files[5]: expected `url:` (or `urls:`, a list of mirrors)',
    ],
  },
  {
    name: 'sections of the wrong kind',
    text: yaml('version: 1', 'defaults:', 'limits: [1]', 'files: [https://e.org/a]'),
    expected: [
      'jobs.yaml:2:10 defaults: expected a mapping of default settings, got an empty value (null)',
      'jobs.yaml:3:9 limits: expected a mapping of limits, got a list',
    ],
  },
  {
    name: 'dir',
    text: yaml('version: 1', 'defaults: { dir: "" }', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:2:18 defaults.dir: expected a folder path, got an empty string'],
  },
];

const headerRows: Row[] = [
  {
    name: 'header names must be tokens and not managed by pdl',
    text: job('  - url: https://e.org/a', '    headers:', '      "X Bad": x', '      Host: example.org', '      range: bytes=0-1', '      Transfer-Encoding: chunked', '      X-Num: 1'),
    expected: [
      'jobs.yaml:5:7 files[0].headers["X Bad"]: header name "X Bad" is not an HTTP token (letters, digits and !#$%&\'*+-.^_`|~)',
      'jobs.yaml:6:7 files[0].headers.Host: header `Host` is managed by pdl and cannot be set (pdl sets Host, Range, If-Range, Accept-Encoding and the connection headers itself)',
      'jobs.yaml:7:7 files[0].headers.range: header `range` is managed by pdl and cannot be set (pdl sets Host, Range, If-Range, Accept-Encoding and the connection headers itself)',
      'jobs.yaml:8:7 files[0].headers.Transfer-Encoding: header `Transfer-Encoding` is managed by pdl and cannot be set (pdl sets Host, Range, If-Range, Accept-Encoding and the connection headers itself)',
      'jobs.yaml:9:14 files[0].headers.X-Num: expected a string (quote numbers: "1"), got 1',
    ],
  },
  {
    name: 'header values: CR, LF, NUL and characters HTTP does not carry',
    text: job('  - url: https://e.org/a', '    headers:', '      X-A: "a\\r\\nInjected: 1"', '      X-B: "a\\0"', '      X-C: "emoji 🙂"'),
    expected: [
      'jobs.yaml:5:12 files[0].headers.X-A: header values must not contain CR, LF or NUL',
      'jobs.yaml:6:12 files[0].headers.X-B: header values must not contain CR, LF or NUL',
      'jobs.yaml:7:12 files[0].headers.X-C: header values may contain only visible ASCII, spaces, tabs and Latin-1 characters',
    ],
  },
  {
    name: 'the same header twice in another case',
    text: yaml('version: 1', 'defaults:', '  headers:', '    Accept: a', '    accept: b', 'files: [https://e.org/a]'),
    expected: ['jobs.yaml:5:5 defaults.headers.accept: duplicate header `accept` (same as `Accept`; header names are case-insensitive)'],
  },
  {
    name: 'header values after ${VAR} expansion, without showing the value',
    env: { BAD: 'x\r\nEvil: 1', WIDE: 'héllo 🙂' },
    text: job('  - url: https://e.org/a', '    headers:', '      X-A: "${BAD}"', '      X-B: "v=${WIDE}"'),
    expected: [
      'jobs.yaml:5:12 files[0].headers.X-A: the header value contains CR, LF or NUL after expanding ${BAD}',
      'jobs.yaml:6:12 files[0].headers.X-B: the header value contains characters HTTP does not allow after expanding ${WIDE}',
    ],
  },
];

const envRows: Row[] = [
  {
    name: 'unset and empty variables, in headers and URLs',
    env: { EMPTY: '' },
    text: yaml(
      'version: 1',
      'defaults:',
      '  headers:',
      '    Authorization: Bearer ${TOKEN}',
      'files:',
      '  - https://e.org/a?key=${KEY}',
      '  - url: https://${HOST}/b',
      '    headers: { X-Empty: "${EMPTY}" }',
    ),
    expected: [
      'jobs.yaml:4:20 defaults.headers.Authorization: ${TOKEN} is not set',
      'jobs.yaml:6:5 files[0]: ${KEY} is not set',
      'jobs.yaml:7:10 files[1].url: ${HOST} is not set',
      'jobs.yaml:8:25 files[1].headers.X-Empty: ${EMPTY} is empty',
    ],
  },
  {
    name: 'a file name that would come from a variable (it would print the value)',
    env: { FILE: 'tool-1.2.3.tgz' },
    text: job('  - https://e.org/dl/${FILE}', '  - url: https://e.org/dl/${FILE}', '    path: tool.tgz'),
    expected: ['jobs.yaml:3:5 files[0]: cannot derive a file name from the URL: its last segment comes from an environment variable; add `path:`'],
  },
  {
    name: 'a malformed reference',
    text: job('  - url: https://e.org/${1x}'),
    expected: ['jobs.yaml:3:10 files[0].url: `${` must start a reference such as ${TOKEN} (letters, digits, _); write $${ for a literal ${'],
  },
];

const urlRows: Row[] = [
  {
    name: 'schemes, credentials, junk',
    text: job('  - gopher://e.org/a', '  - url: https://user:pw@e.org/b', '  - url: e.org/c', '  - url: "https://e.org/\\td"', '  - file:///etc/passwd'),
    expected: [
      'jobs.yaml:3:5 files[0]: unsupported scheme gopher: pdl downloads http, https, sftp, ftp and ftps URLs',
      'jobs.yaml:4:10 files[1].url: credentials in the URL are not allowed (they would show in logs); send them in a header instead, e.g. `Authorization: "Basic ${CREDENTIALS}"`',
      'jobs.yaml:5:10 files[2].url: expected an absolute URL, got "e.org/c"',
      'jobs.yaml:6:10 files[3].url: the URL contains a control character',
      'jobs.yaml:7:5 files[4]: unsupported scheme file: pdl downloads http, https, sftp, ftp and ftps URLs',
    ],
  },
  {
    name: 'URL problems that appear only after expansion name the variable, not the value',
    env: { CREDS: 'admin:hunter2', BROKEN: 'no host here', CTRL: 'a\nb' },
    text: job('  - https://${CREDS}@e.org/a', '  - https://[${BROKEN}]/b', '  - https://e.org/${CTRL}'),
    expected: [
      'jobs.yaml:3:5 files[0]: credentials in the URL are not allowed after expanding ${CREDS} (they would show in logs); send them in a header instead, e.g. `Authorization: "Basic ${CREDENTIALS}"`',
      'jobs.yaml:4:5 files[1]: the URL is not valid after expanding ${BROKEN}',
      'jobs.yaml:5:5 files[2]: the URL contains a control character after expanding ${CTRL}',
    ],
  },
  {
    name: 'a password in the URL is not echoed when the URL does not parse',
    text: job('  - url: "https://user:hunter2@exa mple.org/a"'),
    expected: ['jobs.yaml:3:10 files[0].url: expected an absolute URL, got "https://***@exa mple.org/a"'],
  },
];

const pathRows: Row[] = [
  {
    name: 'unsafe paths',
    text: job(
      '  - { url: https://e.org/1, path: /etc/passwd }',
      '  - { url: https://e.org/2, path: ../up }',
      '  - { url: https://e.org/3, path: "a\\\\b" }',
      '  - { url: https://e.org/4, path: "C:x" }',
      '  - { url: https://e.org/5, path: dir/ }',
      '  - { url: https://e.org/6, path: "" }',
      '  - { url: https://e.org/7, path: "a\\0b" }',
    ),
    expected: [
      'jobs.yaml:3:35 files[0].path: expected a relative path inside `dir`, got "/etc/passwd" (it is absolute; give a path relative to `dir`)',
      'jobs.yaml:4:35 files[1].path: expected a relative path inside `dir`, got "../up" (it contains a `..` segment; paths must stay inside `dir`)',
      'jobs.yaml:5:35 files[2].path: expected a relative path inside `dir`, got "a\\\\b" (it contains a backslash; separate folders with /)',
      'jobs.yaml:6:35 files[3].path: expected a relative path inside `dir`, got "C:x" (it starts with a drive letter; give a path relative to `dir`)',
      'jobs.yaml:7:35 files[4].path: expected a relative path inside `dir`, got "dir/" (it ends with /; name a file, not a folder)',
      'jobs.yaml:8:35 files[5].path: expected a relative path inside `dir`, got "" (it is empty)',
      'jobs.yaml:9:35 files[6].path: expected a relative path inside `dir`, got "a\\u0000b" (it contains a NUL character)',
    ],
  },
  {
    name: 'names derived from URLs',
    text: job('  - https://e.org/', '  - url: https://e.org/dir/', '  - https://e.org/a%2F..%2Fb', '  - https://e.org/%5C'),
    expected: [
      'jobs.yaml:3:5 files[0]: cannot derive a file name from the URL; add `path:`',
      'jobs.yaml:4:10 files[1].url: cannot derive a file name from the URL; add `path:`',
      'jobs.yaml:5:5 files[2]: cannot derive a file name from the URL: its last segment decodes to "a/../b", which contains /; add `path:`',
      'jobs.yaml:6:5 files[3]: cannot derive a file name from the URL: its last segment decodes to "\\\\" and contains a backslash; separate folders with /; add `path:`',
    ],
  },
  {
    name: 'two entries writing the same file, compared case-insensitively after normalisation',
    text: job('  - https://e.org/x/Tool.tgz', '  - https://mirror.org/tool.TGZ', '  - url: https://e.org/y', '    path: ./TOOL.tgz'),
    expected: [
      'jobs.yaml:4:5 files[1]: same output path as files[0] ("Tool.tgz"); paths are compared case-insensitively',
      'jobs.yaml:6:11 files[2].path: same output path as files[0] ("Tool.tgz"); paths are compared case-insensitively',
    ],
  },
  {
    name: 'a file where another entry needs a folder',
    text: job('  - { url: https://e.org/1, path: a }', '  - { url: https://e.org/2, path: a/b }', '  - { url: https://e.org/3, path: c/d/e }', '  - { url: https://e.org/4, path: c/d }'),
    expected: [
      'jobs.yaml:4:35 files[1].path: "a/b" needs a folder where files[0] ("a") writes a file',
      'jobs.yaml:6:35 files[3].path: "c/d" is a folder of files[2] ("c/d/e"); it cannot also be a file',
    ],
  },
];

const allAtOnce: Row = {
  name: 'schema, env, URL and path problems are all reported together, in file order',
  text: yaml(
    'version: 1',
    'defaults:',
    '  retries: lots',
    'files:',
    '  - url: https://e.org/a',
    '    checksum: md5:nope',
    '    headers: { X-Key: "${KEY}" }',
    '  - url: gopher://e.org/b',
    '  - url: https://e.org/c',
    '    path: ../c',
  ),
  expected: [
    'jobs.yaml:3:12 defaults.retries: expected an integer from 0 to 100, got "lots"',
    'jobs.yaml:6:15 files[0].checksum: expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got "md5:nope"',
    'jobs.yaml:7:23 files[0].headers.X-Key: ${KEY} is not set',
    'jobs.yaml:8:10 files[1].url: unsupported scheme gopher: pdl downloads http, https, sftp, ftp and ftps URLs',
    'jobs.yaml:10:11 files[2].path: expected a relative path inside `dir`, got "../c" (it contains a `..` segment; paths must stay inside `dir`)',
  ],
};

for (const [group, rows] of Object.entries({ schemaRows, headerRows, envRows, urlRows, pathRows, allAtOnce: [allAtOnce] })) {
  describe(`job file rejections: ${group}`, () => {
    for (const row of rows) {
      it(row.name, () => {
        const found = problems(row.text, row.env);
        assert.deepEqual(found, row.expected);
        for (const value of Object.values(row.env ?? {})) {
          if (value !== '') assert.ok(!found.join('\n').includes(value), 'an expanded value leaked into a message');
        }
      });
    }
  });
}
