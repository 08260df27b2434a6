import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIOError } from '../../src/errors.js';
import { ensureParentDir } from '../../src/storage/safe-dir.js';

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-safedir-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('creates the missing root and every parent below it', () =>
  withTemp(async (tmp) => {
    const root = join(tmp, 'out');
    await ensureParentDir(root, join(root, 'a', 'b', 'c.bin'));
    assert.ok((await lstat(join(root, 'a', 'b'))).isDirectory());
    assert.deepEqual(await readdir(join(root, 'a', 'b')), []);
  }));

test('a file directly in the root only needs the root', () =>
  withTemp(async (tmp) => {
    const root = join(tmp, 'out');
    await ensureParentDir(root, join(root, 'x.bin'));
    assert.deepEqual(await readdir(root), []);
  }));

test('the root itself may be a symlink', () =>
  withTemp(async (tmp) => {
    await mkdir(join(tmp, 'real'));
    await symlink(join(tmp, 'real'), join(tmp, 'link'));
    await ensureParentDir(join(tmp, 'link'), join(tmp, 'link', 'sub', 'f'));
    assert.ok((await lstat(join(tmp, 'real', 'sub'))).isDirectory());
  }));

test('a symlink below the root is refused, and nothing is created through it', () =>
  withTemp(async (tmp) => {
    const root = join(tmp, 'out');
    await mkdir(join(root, 'a'), { recursive: true });
    await mkdir(join(tmp, 'elsewhere'));
    await symlink(join(tmp, 'elsewhere'), join(root, 'a', 'b'));
    await assert.rejects(ensureParentDir(root, join(root, 'a', 'b', 'c', 'f.bin')), (error: unknown) => {
      assert.ok(error instanceof LocalIOError);
      assert.equal(error.path, join(root, 'a', 'b'));
      assert.match(error.message, /a[/\\]b is a symbolic link; pdl does not write through links inside the output dir/);
      return true;
    });
    assert.deepEqual(await readdir(join(tmp, 'elsewhere')), []);
  }));

test('a dangling symlink below the root is refused too', () =>
  withTemp(async (tmp) => {
    const root = join(tmp, 'out');
    await mkdir(root);
    await symlink(join(tmp, 'nowhere'), join(root, 'a'));
    await assert.rejects(ensureParentDir(root, join(root, 'a', 'f')), /is a symbolic link/);
    await assert.rejects(lstat(join(tmp, 'nowhere')), { code: 'ENOENT' });
  }));

test('a regular file where a directory should be is an error', () =>
  withTemp(async (tmp) => {
    const root = join(tmp, 'out');
    await mkdir(root);
    await writeFile(join(root, 'a'), 'x');
    await assert.rejects(ensureParentDir(root, join(root, 'a', 'f')), (error: unknown) => {
      assert.ok(error instanceof LocalIOError);
      assert.match(error.message, /not a directory/);
      return true;
    });
  }));

test('paths that are not strictly inside the root are refused', async () => {
  const cases: Array<[string, string]> = [
    ['/srv/out', '/srv/out'],
    ['/srv/out', '/srv/other/f'],
    ['/srv/out', '/srv/out/../f'],
    ['/srv/out', '/srv/outside'],
    ['relative', '/srv/out/f'],
    ['/srv/out', 'f'],
  ];
  for (const [root, file] of cases) {
    await assert.rejects(ensureParentDir(root, file), LocalIOError, `${root} + ${file}`);
  }
});

test('concurrent calls for the same new directories all succeed', () =>
  withTemp(async (tmp) => {
    const root = join(tmp, 'out');
    await Promise.all(Array.from({ length: 20 }, (_, i) => ensureParentDir(root, join(root, 'x', 'y', `f${i}`))));
    assert.ok((await lstat(join(root, 'x', 'y'))).isDirectory());
  }));
