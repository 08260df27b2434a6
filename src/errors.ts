/**
 * Every error pdl raises, each with a stable `code` and an exit-code class.
 * The CLI maps `exitCode` to the process exit code and prints `message`; stacks only under --verbose.
 * Messages never contain expanded secrets: callers pass masked URLs.
 */

import { exitCodeOf, type ErrorKind } from './exit-codes.js';

export { EXIT_CODES, type ErrorKind } from './exit-codes.js';

export interface PdlErrorOptions {
  cause?: unknown;
  url?: string;
  path?: string;
}

export class PdlError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  /** Masked URL the error concerns, if any. */
  readonly url: string | undefined;
  /** Local path the error concerns, if any. */
  readonly path: string | undefined;

  constructor(code: string, kind: ErrorKind, message: string, options: PdlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    this.url = options.url;
    this.path = options.path;
  }

  get exitCode(): number {
    return exitCodeOf(this.kind);
  }
}

/** Bad command line. */
export class UsageError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_USAGE', 'usage', message, options);
  }
}

/** One problem found in a job file, with its position. */
export interface JobIssue {
  /** 1-based; 0 when unknown. */
  line: number;
  column: number;
  /** e.g. `files[2].checksum`; empty for the whole document. */
  path: string;
  message: string;
}

/** A job file that cannot be used; carries every problem found, not only the first. */
export class JobFileError extends PdlError {
  readonly file: string;
  readonly issues: JobIssue[];

  constructor(file: string, issues: JobIssue[], options?: PdlErrorOptions) {
    super('E_JOB_FILE', 'job', formatJobIssues(file, issues), { ...options, path: file });
    this.file = file;
    this.issues = issues;
  }
}

export function formatJobIssues(file: string, issues: JobIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.line > 0 ? `${file}:${issue.line}:${issue.column}` : file;
      return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
    })
    .join('\n');
}

/** Bytes that do not match what was promised: a checksum, a server digest, a locked size. */
export class ChecksumMismatchError extends PdlError {
  readonly algorithm: string;
  readonly expected: string;
  readonly actual: string;

  constructor(algorithm: string, expected: string, actual: string, options: PdlErrorOptions & { source?: string } = {}) {
    const source = options.source ?? 'checksum';
    super(
      'E_CHECKSUM',
      'integrity',
      `${source} mismatch: expected ${algorithm}:${expected}, got ${algorithm}:${actual}`,
      options,
    );
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A checksum list (`sha256:file:<url>`) that cannot vouch for a file: no line names it, two lines disagree, or the
 * list is not one. Integrity, not network: the bytes cannot be verified as the job asks, so they are not presented.
 */
export class ChecksumListError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_CHECKSUM_LIST', 'integrity', message, options);
  }
}

/**
 * `pdl run --frozen`: the job, the lock file (`jobs.lock.yaml`) and the downloaded bytes disagree — an entry
 * missing from the lock, another URL or checksum in the job than in the lock, or a size other than the locked one.
 */
export class LockDriftError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_LOCK_DRIFT', 'integrity', message, options);
  }
}

/** The file changed on the server while we were resuming it, more often than we are willing to restart. */
export class RemoteChangedError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_REMOTE_CHANGED', 'integrity', message, options);
  }
}

/** Connection refused/reset, DNS, TLS, stalls and timeouts — after retries ran out. */
export class NetworkError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_NETWORK', 'network', message, options);
  }
}

/** No bytes arrived for `timeout`. */
export class StallError extends PdlError {
  constructor(timeoutMs: number, options?: PdlErrorOptions) {
    super('E_STALL', 'network', `no data received for ${timeoutMs} ms`, options);
  }
}

export interface RemoteStatusOptions extends PdlErrorOptions {
  /** Worth asking again (a server error, a busy server). */
  retryable?: boolean;
  /** How long the server asked us to wait before asking again. */
  retryAfterMs?: number | undefined;
  /** The server refused because it is busy (HTTP 429/503): it may be refusing our number of connections. */
  overloaded?: boolean;
}

/**
 * The remote refused a request with an error status. The engine acts on `retryable`, `retryAfterMs` and
 * `overloaded` only; `status` (the protocol's own code) is for messages and reports.
 */
export class RemoteStatusError extends PdlError {
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly overloaded: boolean;

  constructor(code: string, status: number, message: string, options: RemoteStatusOptions = {}) {
    super(code, 'network', message, options);
    this.status = status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.overloaded = options.overloaded ?? false;
  }
}

/**
 * An SFTP or FTP server refused or failed a request. `status` is the protocol's own code (SFTP status, FTP reply);
 * a missing file is `E_NOT_FOUND`, like HTTP 404 (exit 4, not retried).
 */
export class RemoteFileError extends RemoteStatusError {}

/**
 * The remote would not be trusted or would not let us in: an unknown or changed SSH host key, failed
 * authentication, a TLS certificate that does not verify. One clear reason, never retried (asking again gets the
 * same answer).
 */
export class AccessDeniedError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_ACCESS', 'network', message, options);
  }
}

/** The server answered with an HTTP error status (4xx, or 5xx after retries). */
export class HttpStatusError extends RemoteStatusError {
  constructor(status: number, message: string, options?: RemoteStatusOptions) {
    super('E_HTTP_STATUS', status, message, options);
  }
}

/** The body ended before the range did: the connection was closed early. Retried; a network failure in the end. */
export class ShortBodyError extends NetworkError {
  constructor(position: number, end: number, url: string) {
    super(`connection closed at byte ${position}, expected up to ${Number.isFinite(end) ? end : 'the end'}`, { url });
  }
}

/** The server broke the HTTP contract: wrong Content-Range, body longer or shorter than announced, bad size. */
export class ProtocolError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_PROTOCOL', 'protocol', message, options);
  }
}

/**
 * The server sent a body pdl cannot decode: an unknown coding, or bytes that are not what the coding says. Not
 * answered by asking for the file as one plain stream, as other protocol errors are: that would get the same.
 */
export class ContentEncodingError extends ProtocolError {}

/** A redirect pdl refuses to follow (too many, a loop, https → http, another scheme). */
export class RedirectError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_REDIRECT', 'protocol', message, options);
  }
}

/**
 * Every mirror of a file failed: one message naming each mirror's reason. Its class (and exit code) is that of the
 * preferred mirror's failure, so a file with mirrors fails the way the same file with one URL would.
 */
export class AllMirrorsFailedError extends PdlError {
  constructor(failures: ReadonlyArray<{ url: string; error: unknown }>, options?: PdlErrorOptions) {
    const reasons = failures.map(({ url, error }) => `${url}: ${error instanceof Error ? error.message : String(error)}`);
    const first = failures[0]?.error;
    super('E_ALL_MIRRORS_FAILED', first instanceof PdlError ? first.kind : 'network', `every mirror failed (${reasons.join('; ')})`, {
      ...options,
      cause: first,
    });
  }
}

/**
 * A source with several places no longer serves a file from the host a connection was given (the place there was
 * dropped meanwhile) while other hosts still do: the connection ends quietly and its range is placed again on one
 * of the source's hosts. Not a failure of the host and not counted as a refusal.
 */
export class SourceHostUnavailableError extends PdlError {
  readonly host: string;

  constructor(host: string, options?: PdlErrorOptions) {
    super('E_SOURCE_HOST_UNAVAILABLE', 'network', `the file is no longer fetched from ${host}`, options);
    this.host = host;
  }
}

/** Local disk problem: ENOSPC, EACCES, EFBIG, a symlink where a .part should be, an existing file with ifExists: fail. */
export class LocalIOError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_IO', 'io', message, options);
  }
}

/** The run was stopped by a signal or an abort; resume state was saved. */
export class InterruptedError extends PdlError {
  readonly signal: string | undefined;

  constructor(message = 'interrupted', options: PdlErrorOptions & { signal?: string } = {}) {
    super('E_INTERRUPTED', 'interrupted', message, options);
    this.signal = options.signal;
  }
}

/** Who holds a run lock, as its lock file says. */
export interface RunLockHolder {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  startedAt: string;
}

/**
 * Another live `pdl run` holds the run lock of the same output root. `holder` is undefined when the lock file
 * was just created and is still being written.
 */
export class RunLockedError extends PdlError {
  readonly holder: RunLockHolder | undefined;

  constructor(holder: RunLockHolder | undefined, root: string, lockPath: string, options: PdlErrorOptions = {}) {
    const who = holder === undefined ? 'another pdl run (just starting)' : `another pdl run (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt})`;
    super('E_LOCKED', 'locked', `${who} is using ${root}; lock file ${lockPath} (delete it only if no pdl run is using that folder)`, {
      ...options,
      path: lockPath,
    });
    this.holder = holder;
  }
}

/** Who holds a file claim, as its claim file says. */
export interface FileClaimHolder {
  pid: number;
  hostname: string;
  /** ISO 8601: when the holder claimed the file. */
  since: string;
}

/**
 * Another live pdl process (a `get`, a run of another job, a run whose output folder contains or is inside this
 * one) is writing the same file. This file fails at once rather than waiting: a cron job must not hang. `holder`
 * is undefined when the claim file was just created and is still being written.
 */
export class FileClaimedError extends PdlError {
  readonly holder: FileClaimHolder | undefined;

  constructor(holder: FileClaimHolder | undefined, path: string, claimPath: string, options: PdlErrorOptions = {}) {
    const who = holder === undefined ? 'another pdl process (just starting)' : `another pdl process (pid ${holder.pid} on ${holder.hostname}, since ${holder.since})`;
    super('E_FILE_CLAIMED', 'locked', `${path} is being written by ${who}; claim file ${claimPath} (delete it only if no pdl process is writing that file)`, {
      ...options,
      path,
    });
    this.holder = holder;
  }
}

/** The `.part` pdl was writing was replaced or removed under it: what is at that path now is not presented as the file. */
export class PartReplacedError extends PdlError {
  constructor(partPath: string, finalPath: string, options: PdlErrorOptions = {}) {
    super('E_PART_REPLACED', 'io', `${partPath} was replaced or removed by something else while pdl wrote it; ${finalPath} was not touched`, {
      ...options,
      path: partPath,
    });
  }
}

/** A bug in pdl itself (not the network, the server or the disk). */
export class InternalError extends PdlError {
  constructor(message: string, options?: PdlErrorOptions) {
    super('E_INTERNAL', 'internal', message, options);
  }
}

/**
 * The shared queue (`--queue`) failed: Redis unreachable, lost mid-run, or refusing us. The message names the queue's
 * URL with its password masked; in-flight files were stopped with their progress saved.
 */
export class QueueError extends PdlError {
  constructor(message: string, options: PdlErrorOptions = {}) {
    super('E_QUEUE', 'queue', message, options);
  }
}
