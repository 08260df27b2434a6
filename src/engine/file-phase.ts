/** The phases of one file in flight (file-task.ts changes them, in one place). */
import { ProtocolError, RemoteChangedError, type PdlError } from '../errors.js';
import type { SourceDigest } from '../sources/source.js';
import type { RemoteFacts } from './part-progress.js';

/** What the file knows about its remote copy once an answer (or a control file) told it. */
export interface Remote extends RemoteFacts {
  digests: SourceDigest[];
  /** The bytes are decoded from what the server sent: a break starts the file again (see ByteAnswer.encoded). */
  encoded: boolean;
}

export type Phase =
  | { name: 'queued' }
  /** The hooks decide what the file needs; the first connection's slot is held meanwhile. */
  | { name: 'preparing' }
  /** The file's first request: no answer yet. `ranges` is false once the source was found not to honour them. */
  | { name: 'opening'; ranges: boolean }
  /** Connections fill the file's ranges. */
  | { name: 'transferring'; remote: Remote }
  /** Every held byte is being dropped (the file changed, ranges failed, a checksum mismatched); no connection runs. */
  | { name: 'restarting' }
  /** Something failed: the connections wind down, then the file is finished as failed. */
  | { name: 'failing'; error: PdlError; remote: Remote | undefined }
  /** No connection runs: verifying and committing, or saving progress after a stop or failure. */
  | { name: 'finishing' }
  | { name: 'finished' };

/**
 * A source that moved the file to another place (a mirror failed or served wrong bytes) bounds its own moves by its
 * places; this is only a backstop.
 */
const MAX_MOVES = 64;

/** Restarts allowed per file for each reason before it fails (an encoded stream is bounded by the retry budget). */
export const MAX_RESTARTS = { changed: 1, 'no-ranges': 1, checksum: 1, encoded: Infinity, moved: MAX_MOVES } as const;

export type RestartReason = keyof typeof MAX_RESTARTS;

export function restartLimitError(why: RestartReason, url: string): PdlError {
  if (why === 'moved') return new ProtocolError(`the file moved between places ${MAX_MOVES} times; giving up`, { url });
  return why === 'changed'
    ? new RemoteChangedError('the file changed on the server again after a restart; giving up', { url })
    : new ProtocolError('the server does not honour byte ranges consistently', { url });
}

/** What the log says when a file starts again. */
export function restartReason(why: RestartReason): string {
  if (why === 'moved') return 'the file is fetched from another place; starting over';
  return why === 'changed' ? 'the file changed on the server; starting over' : 'the server does not honour byte ranges; downloading as one stream';
}
