import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIOError } from '../../src/errors.js';
import {
  controlPathOf,
  readResumeState,
  removeResumeState,
  writeResumeState,
  type ResumeState,
} from '../../src/storage/resume-state.js';

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-resume-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const state: ResumeState = {
  format: 'pdl-resume',
  version: 1,
  url: 'https://example.com/file.iso?token=***',
  size: 1000,
  etag: '"abc"',
  lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
  ranges: true,
  done: [
    { start: 0, end: 100 },
    { start: 200, end: 1000 },
  ],
  updatedAt: '2024-01-01T00:00:00.000Z',
};

/** The on-disk form of `state`, with `patch` applied (undefined deletes a key). */
function onDisk(patch: Record<string, unknown> = {}): string {
  const json: Record<string, unknown> = { ...state, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete json[key];
  return JSON.stringify(json);
}

test('controlPathOf appends .pdl', () => {
  assert.equal(controlPathOf('/out/a.iso'), '/out/a.iso.pdl');
});

test('write then read round-trips, including unknown size and no validators', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.pdl');
    assert.deepEqual(await readResumeState(path), { status: 'missing' });
    await writeResumeState(path, state);
    assert.deepEqual(await readResumeState(path), { status: 'ok', state });

    const bare: ResumeState = { ...state, size: undefined, etag: undefined, lastModified: undefined, ranges: false, done: [] };
    await writeResumeState(path, bare);
    assert.deepEqual(await readResumeState(path), { status: 'ok', state: bare });
    assert.deepEqual(await readdir(dir), ['f.pdl']);
  }));

test('damaged or hostile contents read as invalid, never throw', () =>
  withTemp(async (dir) => {
    const valid = onDisk();
    const cases: Array<[string, string | Buffer]> = [
      ['empty', ''],
      ['garbage', '\u0000\u00ff not json at all'],
      ['torn', valid.slice(0, Math.floor(valid.length / 2))],
      ['json null', 'null'],
      ['json array', '[]'],
      ['huge', Buffer.concat([Buffer.from(valid), Buffer.alloc(1024 * 1024, 0x20)])],
      ['wrong format', onDisk({ format: 'other' })],
      ['future version', onDisk({ version: 2 })],
      ['missing key', onDisk({ etag: undefined })],
      ['unknown key', onDisk({ extra: 1 })],
      ['empty url', onDisk({ url: '' })],
      ['weak etag', onDisk({ etag: 'W/"abc"' })],
      ['negative size', onDisk({ size: -1 })],
      ['fractional size', onDisk({ size: 10.5 })],
      ['unsafe size', onDisk({ size: 2 ** 53 })],
      ['size as string', onDisk({ size: '1000' })],
      ['ranges not boolean', onDisk({ ranges: 'yes' })],
      ['bad date', onDisk({ updatedAt: 'yesterday' })],
      ['not ISO date', onDisk({ updatedAt: 'Wed, 21 Oct 2015 07:28:00 GMT' })],
      ['done not array', onDisk({ done: {} })],
      ['interval past size', onDisk({ done: [{ start: 0, end: 1001 }] })],
      ['empty interval', onDisk({ done: [{ start: 5, end: 5 }] })],
      ['reversed interval', onDisk({ done: [{ start: 6, end: 5 }] })],
      ['unsorted', onDisk({ done: [{ start: 200, end: 300 }, { start: 0, end: 100 }] })],
      ['overlapping', onDisk({ done: [{ start: 0, end: 100 }, { start: 50, end: 300 }] })],
      ['touching', onDisk({ done: [{ start: 0, end: 100 }, { start: 100, end: 300 }] })],
      ['interval extra key', onDisk({ done: [{ start: 0, end: 1, x: 1 }] })],
      ['interval as pair', onDisk({ done: [[0, 1]] })],
      ['negative start', onDisk({ done: [{ start: -1, end: 1 }] })],
    ];
    for (const [name, content] of cases) {
      const path = join(dir, `${name}.pdl`);
      await writeFile(path, content);
      const result = await readResumeState(path);
      assert.equal(result.status, 'invalid', name);
    }
    // The same write path accepts the untouched document: the cases above fail for their one defect.
    await writeFile(join(dir, 'ok.pdl'), valid);
    assert.equal((await readResumeState(join(dir, 'ok.pdl'))).status, 'ok');
  }));

test('a symlink or a directory at the control path reads as invalid', () =>
  withTemp(async (dir) => {
    await writeFile(join(dir, 'real'), onDisk());
    await symlink(join(dir, 'real'), join(dir, 'link.pdl'));
    await mkdir(join(dir, 'dir.pdl'));
    assert.equal((await readResumeState(join(dir, 'link.pdl'))).status, 'invalid');
    assert.equal((await readResumeState(join(dir, 'dir.pdl'))).status, 'invalid');
  }));

test('an invalid state is refused before touching disk; the old state stays', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.pdl');
    await writeResumeState(path, state);
    const before = await readFile(path);
    const bad: ResumeState = { ...state, done: [{ start: 0, end: 2000 }] };
    await assert.rejects(writeResumeState(path, bad), (error: unknown) => {
      assert.ok(error instanceof LocalIOError);
      assert.match(error.message, /invalid resume state: done\[0\] ends past size 1000/);
      return true;
    });
    assert.deepEqual(await readFile(path), before);
    assert.deepEqual(await readdir(dir), ['f.pdl']);
  }));

test('a failed write leaves what was there and no temp file', () =>
  withTemp(async (dir) => {
    // Tests run as root, so permissions cannot make the write fail: a directory in the way makes the rename fail.
    const path = join(dir, 'f.pdl');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'kept');
    await assert.rejects(writeResumeState(path, state), (error: unknown) => {
      assert.ok(error instanceof LocalIOError);
      assert.equal(error.path, path);
      return true;
    });
    assert.equal(await readFile(join(path, 'inside'), 'utf8'), 'kept');
    assert.deepEqual(await readdir(dir), ['f.pdl']);
  }));

test('a write into a missing directory fails with LocalIOError', () =>
  withTemp(async (dir) => {
    await assert.rejects(writeResumeState(join(dir, 'gone', 'f.pdl'), state), LocalIOError);
  }));

test('concurrent writes for one path are serialised: the last call wins, nothing is torn', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.pdl');
    const states = Array.from({ length: 25 }, (_, i): ResumeState => ({ ...state, done: [{ start: 0, end: 10 * (i + 1) }] }));
    await Promise.all(states.map((s) => writeResumeState(path, s)));
    assert.deepEqual(await readResumeState(path), { status: 'ok', state: states.at(-1) });
    assert.deepEqual(await readdir(dir), ['f.pdl']);
  }));

test('remove is ordered after pending writes and ignores a missing file', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.pdl');
    await removeResumeState(path);
    const pending = [writeResumeState(path, state), writeResumeState(path, state), removeResumeState(path)];
    await Promise.all(pending);
    assert.deepEqual(await readResumeState(path), { status: 'missing' });
    // A failed write does not poison the queue for that path: the next one, queued behind it, still runs.
    const failing = writeResumeState(path, { ...state, size: -5 });
    const next = writeResumeState(path, state);
    await assert.rejects(failing, LocalIOError);
    await next;
    assert.equal((await readResumeState(path)).status, 'ok');
  }));
