/**
 * Failures of the SSH and FTP sources as the engine's typed errors: what is retried (a dropped connection, a
 * timeout, a busy server) and what is not (a missing file, refused access).
 */
import { RemoteFileError } from '../errors.js';

export function missingFile(status: number, url: string, cause?: unknown): RemoteFileError {
  return new RemoteFileError('E_NOT_FOUND', status, 'no such file on the server', { url, cause });
}

export function refusedFile(status: number, reason: string, url: string, cause?: unknown): RemoteFileError {
  return new RemoteFileError('E_REMOTE_REFUSED', status, reason, { url, cause });
}

/** Worth another attempt: the connection dropped or timed out, or the server failed this once. */
export function transientFailure(reason: string, url: string, cause?: unknown, overloaded = false): RemoteFileError {
  return new RemoteFileError('E_REMOTE_FAILED', 0, reason, { url, cause, retryable: true, overloaded });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
