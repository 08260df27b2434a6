/**
 * Replace a small file atomically: write a temp file in the same folder (created exclusively, never through a
 * link), fsync it, rename it over the target. A reader, or a crash, sees the old content or the new, never half.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { toLocalIOError } from '../errors.js';

export async function writeFileAtomic(path: string, data: string, action = 'write'): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
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
