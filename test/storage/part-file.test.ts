import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIOError, PartReplacedError } from '../../src/errors.js';
import { PartFile } from '../../src/storage/part-file.js';

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-part-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deterministic, non-repeating-looking bytes. */
function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('partPathOf appends .part', () => {
  assert.equal(PartFile.partPathOf('/out/a.iso'), '/out/a.iso.part');
});

test('create preallocates, writes land at their offsets in any order, commit renames', () =>
  withTemp(async (dir) => {
    const final = join(dir, 'f.bin');
    const partPath = PartFile.partPathOf(final);
    const data = pattern(3 * 65536 + 123);
    const part = await PartFile.create(partPath, data.length);
    assert.equal((await stat(partPath)).size, data.length);

    const blocks = [2, 0, 3, 1].map((i) => [i * 65536, Math.min(data.length, (i + 1) * 65536)] as const);
    await Promise.all(blocks.map(([s, e]) => part.write(data.subarray(s), e - s, s)));
    await part.sync();
    await part.commit(final);

    assert.deepEqual(await readFile(final), data);
    await assert.rejects(stat(partPath), { code: 'ENOENT' });
    await part.close(); // idempotent after commit
  }));

test('write writes only `length` bytes of the buffer', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    const part = await PartFile.create(path, undefined);
    await part.write(Buffer.from('abcdefgh'), 3, 2);
    await part.close();
    assert.deepEqual(await readFile(path), Buffer.from([0, 0, 0x61, 0x62, 0x63]));
  }));

test('a large write completes in full', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'big.part');
    const data = pattern(9 * 1024 * 1024 + 7, 3);
    const part = await PartFile.create(path, undefined);
    await part.write(data, data.length, 5);
    await part.close();
    const back = await readFile(path);
    assert.equal(back.length, data.length + 5);
    assert.ok(back.subarray(5).equals(data));
  }));

test('create refuses an existing file and leaves it alone', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    await writeFile(path, 'precious');
    await assert.rejects(PartFile.create(path, 10), (error: unknown) => {
      assert.ok(error instanceof LocalIOError);
      assert.match(error.message, /already exists/);
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), 'precious');
  }));

test('create refuses a symlink (live or dangling) and says so', () =>
  withTemp(async (dir) => {
    await writeFile(join(dir, 'target'), 'precious');
    const cases = [join(dir, 'target'), join(dir, 'missing-target')];
    for (const [i, target] of cases.entries()) {
      const path = join(dir, `link${i}.part`);
      await symlink(target, path);
      await assert.rejects(PartFile.create(path, 10), /is a symbolic link; pdl does not write through links/);
    }
    assert.equal(await readFile(join(dir, 'target'), 'utf8'), 'precious');
    await assert.rejects(lstat(join(dir, 'missing-target')), { code: 'ENOENT' });
  }));

test('a failed preallocation removes the .part file', async (t) =>
  withTemp(async (dir) => {
    const path = join(dir, 'huge.part');
    let created: PartFile | undefined;
    try {
      created = await PartFile.create(path, Number.MAX_SAFE_INTEGER);
    } catch (error) {
      assert.ok(error instanceof LocalIOError);
      assert.match(error.message, /cannot preallocate/);
      await assert.rejects(stat(path), { code: 'ENOENT' });
      return;
    }
    await created.discard();
    t.skip('this file system accepts an 8 PiB sparse file');
  }));

test('openExisting: missing, shorter (extended), exact, longer (untouched)', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    assert.deepEqual(await PartFile.openExisting(path, 10), { status: 'missing' });

    await writeFile(path, 'abcd');
    const shorter = await PartFile.openExisting(path, 10);
    assert.equal(shorter.status, 'ok');
    if (shorter.status !== 'ok') return;
    assert.equal(shorter.previousSize, 4);
    await shorter.file.write(Buffer.from('Z'), 1, 9);
    await shorter.file.close();
    assert.deepEqual(await readFile(path), Buffer.from('abcd\0\0\0\0\0Z'));

    const exact = await PartFile.openExisting(path, 10);
    assert.ok(exact.status === 'ok' && exact.previousSize === 10);
    await exact.file.close();

    const unknown = await PartFile.openExisting(path, undefined);
    assert.ok(unknown.status === 'ok' && unknown.previousSize === 10);
    await unknown.file.close();

    assert.deepEqual(await PartFile.openExisting(path, 6), { status: 'too-long', actualSize: 10 });
    assert.equal((await stat(path)).size, 10);
    await PartFile.remove(path);
    await PartFile.remove(path);
    await assert.rejects(stat(path), { code: 'ENOENT' });
  }));

test('openExisting refuses a symlink and a directory', () =>
  withTemp(async (dir) => {
    await writeFile(join(dir, 'target'), 'x');
    await symlink(join(dir, 'target'), join(dir, 'link.part'));
    await mkdir(join(dir, 'dir.part'));
    await assert.rejects(PartFile.openExisting(join(dir, 'link.part'), 1), /is a symbolic link/);
    await assert.rejects(PartFile.openExisting(join(dir, 'dir.part'), 1), LocalIOError);
  }));

test('commit replaces an existing final file; the directory holds only the result', () =>
  withTemp(async (dir) => {
    const final = join(dir, 'f.txt');
    await writeFile(final, 'old contents, longer');
    const part = await PartFile.create(PartFile.partPathOf(final), 3);
    await part.write(Buffer.from('new'), 3, 0);
    await part.commit(final);
    assert.equal(await readFile(final, 'utf8'), 'new');
    assert.deepEqual(await readdir(dir), ['f.txt']);
  }));

test('after close, operations fail with LocalIOError; close and discard are idempotent', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    const part = await PartFile.create(path, 4);
    await part.close();
    await part.close();
    await assert.rejects(part.write(Buffer.from('x'), 1, 0), /already closed/);
    await assert.rejects(part.sync(), LocalIOError);
    await assert.rejects(part.commit(join(dir, 'f')), LocalIOError);
    await part.discard();
    await part.discard();
    assert.deepEqual(await readdir(dir), []);
  }));

test('truncate changes the length', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    const part = await PartFile.create(path, 100);
    await part.truncate(7);
    await part.close();
    assert.equal((await stat(path)).size, 7);
  }));

test('a .part replaced or removed under its writer is never renamed into place, nor deleted by its discard', () =>
  withTemp(async (dir) => {
    const final = join(dir, 'f.bin');
    const partPath = PartFile.partPathOf(final);
    const ours = pattern(4096, 7);

    // Another process unlinked our .part and created its own at the same path.
    const replaced = await PartFile.create(partPath, ours.length);
    await replaced.write(ours, ours.length, 0);
    await rm(partPath);
    await writeFile(partPath, 'theirs');
    await assert.rejects(replaced.commit(final), (error: unknown) => {
      assert.ok(error instanceof PartReplacedError);
      assert.equal(error.code, 'E_PART_REPLACED');
      assert.match(error.message, /f\.bin\.part was replaced or removed by something else while pdl wrote it; .*f\.bin was not touched/);
      return true;
    });
    assert.deepEqual(await readdir(dir), ['f.bin.part']);
    assert.equal(await readFile(partPath, 'utf8'), 'theirs', 'the other file stays where it is');

    // Our .part simply vanished: nothing is renamed, no final file appears.
    await rm(partPath);
    const removed = await PartFile.create(partPath, ours.length);
    await removed.write(ours, ours.length, 0);
    await rm(partPath);
    await assert.rejects(removed.commit(final), PartReplacedError);
    assert.deepEqual(await readdir(dir), []);

    // discard() of a replaced .part closes ours and leaves the other file alone.
    const discarded = await PartFile.create(partPath, undefined);
    await rm(partPath);
    await writeFile(partPath, 'theirs');
    await discarded.discard();
    assert.equal(await readFile(partPath, 'utf8'), 'theirs');
  }));
