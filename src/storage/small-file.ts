/** pdl's own small files (control file, state file, lock, report): written atomically, read defensively. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NAME_MAX_BYTES } from './companion-names.js';
import { toLocalIOError } from '../error-wrap.js';

/**
 * Replace a small file atomically: write a temp file in the same folder (created exclusively, never through a
 * link), fsync it, rename it over the target. A reader, or a crash, sees the old content or the new, never half.
 */
export async function writeFileAtomic(path: string, data: string, action = 'write'): Promise<void> {
  const temp = tempPathOf(path);
  try {
    const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw toLocalIOError(error, path, action);
  }
}

/**
 * `<name>.<pid>.<random>.tmp` says whose temp file it is. A control file of a name near the limit (`<245 bytes>.pdl`)
 * has no room for that suffix, so there the temp file gets a short name of its own in the same folder.
 */
function tempPathOf(path: string): string {
  const suffix = `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  if (Buffer.byteLength(basename(path) + suffix) <= NAME_MAX_BYTES) return `${path}${suffix}`;
  return join(dirname(path), `.pdl${suffix}`);
}

export type SmallFileRead = { status: 'missing' } | { status: 'invalid'; reason: string } | { status: 'ok'; text: string };

/**
 * Read one of pdl's own small files (control file, state file): never through a link, never more than `maxBytes`,
 * and a file that grows while it is read counts as invalid rather than being cut. Throws LocalIOError only when the
 * file exists but cannot be read at all.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<SmallFileRead> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { status: 'invalid', reason: 'not a regular file' };
      if (stats.size > maxBytes) return { status: 'invalid', reason: `larger than ${maxBytes} bytes` };
      // Room for one byte more than fstat said, so a file growing under us is noticed rather than cut.
      const buffer = Buffer.allocUnsafe(stats.size + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > stats.size) return { status: 'invalid', reason: 'changed while being read' };
      return { status: 'ok', text: buffer.toString('utf8', 0, filled) };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing' };
    if (code === 'ELOOP') return { status: 'invalid', reason: 'is a symbolic link' };
    throw toLocalIOError(error, path, 'read');
  }
}

/** A file's identity: what stays the same while it is the same file. */
export interface Identity {
  dev: number;
  ino: number;
}

/**
 * Create `path` exclusively (never through a link) with `data`: the new file's identity, or undefined when a file is
 * there already. A failed write leaves no file.
 */
export async function createExclusive(path: string, data: string): Promise<Identity | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw toLocalIOError(error, path, 'create');
  }
  let identity;
  try {
    await handle.writeFile(data, 'utf8');
    const stats = await handle.stat();
    identity = { dev: stats.dev, ino: stats.ino };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw toLocalIOError(error, path, 'write');
  }
  await handle.close();
  return identity;
}

/** link(2) errors that mean the file system cannot link there (another device; some FUSE, SMB and FAT mounts). */
export const LINKS_UNSUPPORTED: ReadonlySet<string> = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL']);

/**
 * createExclusive, but no reader ever sees the file empty or half written: it is written under a temporary name and
 * linked to `path` (link(2) fails when `path` exists, so it is as exclusive as O_EXCL). Where the file system has no
 * hard links, createExclusive itself. For files other processes judge by their content (the run lock: an empty one
 * reads as a run just starting, which a worker of the same queue refused instead of joining).
 */
export async function createExclusiveWhole(path: string, data: string): Promise<Identity | undefined> {
  const temp = tempPathOf(path);
  const identity = await createExclusive(temp, data);
  if (identity === undefined) return createExclusive(path, data);
  try {
    await link(temp, path);
    return identity;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return undefined;
    // EMLINK: the temporary file cannot have another name; a new file instead.
    if (LINKS_UNSUPPORTED.has(code) || code === 'EMLINK') return await createExclusive(path, data);
    throw toLocalIOError(error, path, 'create');
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
