/**
 * Building and rebuilding errors: wrapping what fs or a bug threw into pdl's own classes (errors.ts), and adding
 * context to an error by making it again, never by editing it.
 */
import { InternalError, LocalIOError, PdlError } from './errors.js';

/**
 * The same error with a message that says more (where it happened, what to do): a new object of the same class,
 * code, kind and cause. Errors are not edited once built; context is added by making the error again.
 */
export function withMessage<E extends PdlError>(error: E, message: string): E {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error));
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  return copy;
}

/** Anything that is not a PdlError is a bug of pdl's, not the disk's: say so (exit 1, stack under --verbose). */
export function internalError(error: unknown, while_: string, path?: string): InternalError {
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(`internal error while ${while_}: ${message}`, { cause: error, ...(path === undefined ? {} : { path }) });
}

/** Wrap an unknown error from fs into a LocalIOError that names the path. */
export function toLocalIOError(error: unknown, path: string, action: string): LocalIOError {
  if (error instanceof PdlError) return error as LocalIOError;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = describeErrno(code) ?? (error instanceof Error ? error.message : String(error));
  return new LocalIOError(`cannot ${action} ${path}: ${reason}`, { cause: error, path });
}

function describeErrno(code: string | undefined): string | undefined {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on device (ENOSPC)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EFBIG':
      return 'file too large for this file system (EFBIG)';
    case 'EROFS':
      return 'read-only file system (EROFS)';
    case 'EDQUOT':
      return 'disk quota exceeded (EDQUOT)';
    case 'ENOENT':
      return 'no such file or directory (ENOENT)';
    case 'ENOTDIR':
      return 'a parent is not a directory (ENOTDIR)';
    case 'EISDIR':
      return 'is a directory (EISDIR)';
    case 'EEXIST':
      return 'already exists (EEXIST)';
    case 'ELOOP':
      return 'is a symbolic link (ELOOP)';
    default:
      return undefined;
  }
}
