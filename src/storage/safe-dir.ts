/**
 * Creating the directories an output file needs, without ever following a link below the output root.
 * A job may name `a/b/c.bin`; if `a` is a symlink (planted by someone else, or left over), writing through it
 * would put bytes outside the directory the user chose. The root itself may be a link: users do that on purpose.
 */

import { lstat, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { LocalIOError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';

/**
 * `mkdir -p` the parent of `file` (absolute, strictly inside the absolute `root`), creating `root` if missing.
 * Every existing component below `root` must be a real directory; a symlink or anything else is a LocalIOError.
 * The check is lstat-then-mkdir, so a hostile process racing us could still swap a directory for a link in
 * between; the .part file is then opened with O_NOFOLLOW, which at least guards the last component.
 */
export async function ensureParentDir(root: string, file: string): Promise<void> {
  if (!isAbsolute(root) || !isAbsolute(file)) {
    throw new LocalIOError(`cannot create the directory for ${file}: expected absolute paths`, { path: file });
  }
  const rel = relative(root, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new LocalIOError(`cannot create the directory for ${file}: it is not inside ${root}`, { path: file });
  }

  try {
    // `recursive` follows a symlinked root and succeeds if it already exists.
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw toLocalIOError(error, root, 'create directory');
  }

  const parts = dirname(rel).split(sep).filter((part) => part !== '' && part !== '.');
  let current = root;
  for (const part of parts) {
    current = current.endsWith(sep) ? current + part : current + sep + part;
    await ensureRealDirectory(current);
  }
}

async function ensureRealDirectory(dir: string): Promise<void> {
  let stats = await lstatOrUndefined(dir);
  if (stats === undefined) {
    try {
      await mkdir(dir);
      return;
    } catch (error) {
      // Another file task may have created it a moment ago; check what is there now.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw toLocalIOError(error, dir, 'create directory');
      stats = await lstatOrUndefined(dir);
      if (stats === undefined) throw toLocalIOError(error, dir, 'create directory');
    }
  }
  if (stats.isSymbolicLink()) {
    throw new LocalIOError(`${dir} is a symbolic link; pdl does not write through links inside the output dir`, {
      path: dir,
    });
  }
  if (!stats.isDirectory()) {
    throw new LocalIOError(`cannot create the directory ${dir}: a file that is not a directory is in the way`, {
      path: dir,
    });
  }
}

async function lstatOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toLocalIOError(error, path, 'inspect');
  }
}
