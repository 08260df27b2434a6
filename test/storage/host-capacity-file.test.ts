import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HOST_CAPACITY_FILE_NAME,
  loadHostCapacities,
  parseHostCapacities,
  saveHostCapacities,
  type SavedHostCapacity,
} from '../../src/storage/host-capacity-file.js';
import { tempDir } from '../helpers/job.js';

const learned: SavedHostCapacity = { target: 3, perHost: 16, learnedAt: '2026-12-01T02:00:00.000Z' };

test('what one run saves, the next loads; versioned JSON, sorted, no temp file left', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await loadHostCapacities(dir), { hosts: new Map(), note: undefined });
  const hosts = new Map<string, SavedHostCapacity>([
    ['mirror.example.org:443', learned],
    ['cdn.example.com:443', { ...learned, target: 16 }],
    ['__proto__', { ...learned, target: 1 }],
  ]);
  await saveHostCapacities(dir, hosts);
  const json = JSON.parse(await readFile(join(dir, HOST_CAPACITY_FILE_NAME), 'utf8')) as { format: string; version: number; hosts: object };
  assert.equal(json.format, 'pdl-hosts');
  assert.equal(json.version, 1);
  assert.deepEqual(Object.keys(json.hosts), ['__proto__', 'cdn.example.com:443', 'mirror.example.org:443']);
  const loaded = await loadHostCapacities(dir);
  assert.equal(loaded.note, undefined);
  assert.deepEqual(loaded.hosts, hosts);
  assert.deepEqual(await readdir(dir), [HOST_CAPACITY_FILE_NAME]);
});

test('parseHostCapacities: invalid files count as empty, bad entries are dropped one by one (table)', () => {
  const file = (hosts: unknown, extra: object = {}) => JSON.stringify({ format: 'pdl-hosts', version: 1, hosts, ...extra });
  const cases: Array<[string, string, string[], string | undefined]> = [
    ['empty', '', [], 'empty file'],
    ['not JSON', '{', [], 'not valid JSON'],
    ['another format', JSON.stringify({ format: 'pdl-state', version: 1, files: {} }), [], 'not a pdl-hosts file'],
    ['a newer version', file({}, { version: 2 }), [], 'unsupported version 2'],
    ['hosts not an object', file([]), [], 'hosts must be an object'],
    ['valid', file({ 'a:80': learned }), ['a:80'], undefined],
    [
      'bad entries dropped',
      file({
        'a:80': learned,
        'zero:80': { ...learned, target: 0 },
        'frac:80': { ...learned, target: 1.5 },
        'above:80': { ...learned, target: 17 },
        'date:80': { ...learned, learnedAt: 'yesterday' },
        'missing:80': { target: 2 },
        '': learned,
        'str:80': 'x',
      }),
      ['a:80'],
      '7 invalid entries',
    ],
  ];
  for (const [name, text, keys, reason] of cases) {
    const parsed = parseHostCapacities(text);
    assert.deepEqual([...parsed.hosts.keys()], keys, name);
    assert.equal(parsed.reason, reason, name);
  }
});

test('an unusable file is ignored with a note naming it; a link is not followed', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, HOST_CAPACITY_FILE_NAME);
  await writeFile(path, '{"format":"pdl-hosts","version":1,"hosts":{"a:80":{"target":0}}}');
  const partial = await loadHostCapacities(dir);
  assert.equal(partial.hosts.size, 0);
  assert.equal(partial.note, `ignored ${path}: 1 invalid entry`);

  const other = await tempDir(t);
  await writeFile(join(other, 'elsewhere.json'), JSON.stringify({ format: 'pdl-hosts', version: 1, hosts: { 'a:80': learned } }));
  const linked = await tempDir(t);
  await symlink(join(other, 'elsewhere.json'), join(linked, HOST_CAPACITY_FILE_NAME));
  const viaLink = await loadHostCapacities(linked);
  assert.equal(viaLink.hosts.size, 0);
  assert.match(viaLink.note ?? '', /symbolic link/);
});

test('saving an invalid entry is a programming error, and leaves the old file alone', async (t) => {
  const dir = await tempDir(t);
  await saveHostCapacities(dir, new Map([['a:80', learned]]));
  await assert.rejects(saveHostCapacities(dir, new Map([['a:80', { ...learned, target: 0 }]])), RangeError);
  assert.deepEqual((await loadHostCapacities(dir)).hosts, new Map([['a:80', learned]]));
});
