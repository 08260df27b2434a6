import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIRROR_STATE_NAME, MirrorState, parseState, type MirrorEntry } from '../../src/storage/mirror-state.js';
import { tempDir } from '../helpers/job.js';

const entry: MirrorEntry = {
  url: 'https://example.com/a.iso?token=***',
  finalUrl: 'https://cdn.example.com/a.iso',
  etag: '"abc"',
  lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
  size: 1000,
  sha256: 'a'.repeat(64),
  completedAt: '2024-01-01T00:00:00.000Z',
};

test('entries written by one run are read back by the next, as valid JSON, with no temp file left', async (t) => {
  const dir = await tempDir(t);
  const first = await MirrorState.load(dir);
  assert.equal(first.note, undefined);
  assert.equal(first.state.size, 0);
  first.state.record('a.iso', entry);
  first.state.record('sub/b.bin', { ...entry, finalUrl: undefined, etag: undefined, size: 0 });
  first.state.record('__proto__', entry);
  await first.state.close();

  const json = JSON.parse(await readFile(join(dir, MIRROR_STATE_NAME), 'utf8')) as { format: string; files: Record<string, unknown> };
  assert.equal(json.format, 'pdl-state');
  assert.deepEqual(Object.keys(json.files), ['__proto__', 'a.iso', 'sub/b.bin']);
  assert.deepEqual(await readdir(dir), [MIRROR_STATE_NAME]);

  const second = await MirrorState.load(dir);
  assert.equal(second.note, undefined);
  assert.deepEqual(second.state.get('a.iso'), entry);
  assert.deepEqual(second.state.get('sub/b.bin'), { ...entry, finalUrl: undefined, etag: undefined, size: 0 });
  assert.deepEqual(second.state.get('__proto__'), entry);
  assert.equal(second.state.get('other'), undefined);
});

test('nothing recorded → nothing written (not even an empty state file)', async (t) => {
  const dir = await tempDir(t);
  const { state } = await MirrorState.load(dir);
  await state.close();
  assert.deepEqual(await readdir(dir), []);
});

test('a record is saved within about two seconds, before the run ends (a kill -9 loses little)', async (t) => {
  const dir = await tempDir(t);
  const { state } = await MirrorState.load(dir);
  state.record('a.iso', entry);
  const path = join(dir, MIRROR_STATE_NAME);
  let saved = false;
  for (let i = 0; i < 60 && !saved; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    saved = await readFile(path, 'utf8').then(
      (text) => parseState(text).entries.has('a.iso'),
      () => false,
    );
  }
  assert.ok(saved, 'the state file holds the entry without close()');
  await state.close();
});

const INVALID: Array<{ name: string; text: string; note: RegExp }> = [
  { name: 'empty', text: '', note: /empty file/ },
  { name: 'truncated JSON', text: '{"format":"pdl-state","version":1,"files":{"a":', note: /not valid JSON/ },
  { name: 'another format', text: '{"format":"pdl-resume","version":1}', note: /not a pdl-state file/ },
  { name: 'a future version', text: '{"format":"pdl-state","version":2,"files":{}}', note: /unsupported version 2/ },
  { name: 'files not an object', text: '{"format":"pdl-state","version":1,"files":[]}', note: /files must be an object/ },
  { name: 'an array', text: '[]', note: /not a pdl-state file/ },
];

for (const c of INVALID) {
  test(`an invalid state file (${c.name}) is treated as empty, with a note`, async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, MIRROR_STATE_NAME), c.text);
    const { state, note } = await MirrorState.load(dir);
    assert.equal(state.size, 0);
    assert.match(note ?? '', c.note);
    // And the next save replaces it with a valid one.
    state.record('a.iso', entry);
    await state.close();
    assert.deepEqual((await MirrorState.load(dir)).state.get('a.iso'), entry);
  });
}

test('bad entries are dropped one by one; good ones are kept', async (t) => {
  const dir = await tempDir(t);
  const good = { ...entry, finalUrl: null };
  const files = {
    'good.bin': good,
    'weak.bin': { ...good, etag: 'W/"x"' },
    'short-sha.bin': { ...good, sha256: 'abc' },
    'negative.bin': { ...good, size: -1 },
    'no-date.bin': { ...good, completedAt: 'yesterday' },
    'not-object.bin': 42,
  };
  await writeFile(join(dir, MIRROR_STATE_NAME), JSON.stringify({ format: 'pdl-state', version: 1, files }));
  const { state, note } = await MirrorState.load(dir);
  assert.equal(state.size, 1);
  assert.deepEqual(state.get('good.bin'), { ...entry, finalUrl: undefined });
  assert.match(note ?? '', /5 invalid entries/);
});

test('a state file that is a symbolic link or a folder is ignored, never followed', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'elsewhere.json'), JSON.stringify({ format: 'pdl-state', version: 1, files: { 'a.iso': entry } }));
  await symlink(join(dir, 'elsewhere.json'), join(dir, MIRROR_STATE_NAME));
  const linked = await MirrorState.load(dir);
  assert.equal(linked.state.size, 0);
  assert.match(linked.note ?? '', /symbolic link/);

  const other = await tempDir(t);
  await mkdir(join(other, MIRROR_STATE_NAME));
  const folder = await MirrorState.load(other);
  assert.equal(folder.state.size, 0);
  assert.match(folder.note ?? '', /not a regular file/);
});
