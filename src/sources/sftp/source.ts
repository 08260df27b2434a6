/**
 * SFTP as a byte source: a range is read over its own SSH connection from the pool. The file's version is its
 * size and modification time (fstat of the open handle, so they describe the bytes read): a resume against
 * another version comes back as `changed` and the engine starts over, never stitching two versions.
 */
import type { SFTPWrapper, Stats } from 'ssh2';
import { ProtocolError } from '../../errors.js';
import type { ResolvedSsh } from '../../job/resolved.js';
import { missingFile, refusedFile, transientFailure, messageOf } from '../remote-errors.js';
import { validatorsDiffer, type ByteAnswer, type ByteRequest, type ByteSource, type OpenResult, type Validators } from '../source.js';
import type { SshPool } from './pool.js';
import { PipelinedRead } from './read-stream.js';
import { sshTarget, type SftpSession, type SshTarget } from './session.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

export interface SftpSourceOptions {
  pool: SshPool;
  url: string;
  displayUrl: string;
  settings: ResolvedSsh;
  /** Connection setup timeout (the file's stall timeout). */
  timeoutMs: number;
}

export class SftpSource implements ByteSource {
  readonly displayUrl: string;
  readonly #options: SftpSourceOptions;
  readonly #target: SshTarget;
  readonly #path: string;

  constructor(options: SftpSourceOptions) {
    this.#options = options;
    this.displayUrl = options.displayUrl;
    const { target, path } = sshTarget(new URL(options.url), options.settings);
    this.#target = target;
    this.#path = path;
  }

  async open(request: ByteRequest): Promise<OpenResult> {
    const { pool, timeoutMs } = this.#options;
    const session = await pool.acquire(this.#target, this.displayUrl, timeoutMs, request.signal);
    let handedOver = false;
    let handle: Buffer | undefined;
    try {
      handle = await this.#call<Buffer>(session.sftp, (done) => session.sftp.open(this.#path, 'r', done));
      const stats = await this.#call<Stats>(session.sftp, (done) => session.sftp.fstat(handle!, done));
      if (!stats.isFile()) throw refusedFile(0, 'not a regular file', this.displayUrl);
      const result = this.#judge(request, stats.size, validatorsOf(stats));
      if (result !== undefined) return result;
      const end = Math.min(request.end ?? stats.size, stats.size);
      if (request.start >= end) throw new ProtocolError(`asked for bytes from ${request.start} of a ${stats.size}-byte file`, { url: this.displayUrl });
      handedOver = true;
      return { kind: 'bytes', answer: this.#answer(session, handle, request.start, end, stats.size, validatorsOf(stats)) };
    } finally {
      // A failed request leaves the connection usable; a failed connection is dropped by the pool.
      if (!handedOver) {
        if (handle !== undefined) session.sftp.close(handle, () => undefined);
        pool.release(this.#target, session, true);
      }
    }
  }

  #judge(request: ByteRequest, size: number, validators: Validators): OpenResult | undefined {
    const kept = request.unlessUnchanged;
    if (kept && kept.size === size && !validatorsDiffer(kept.validators, validators)) return { kind: 'not-modified' };
    const held = request.held;
    if (held && ((held.size !== undefined && held.size !== size) || validatorsDiffer(held.validators, validators))) return { kind: 'changed', size, validators };
    if (size === 0) return request.start === 0 ? { kind: 'empty' } : { kind: 'changed', size, validators };
    return undefined;
  }

  #answer(session: SftpSession, handle: Buffer, start: number, end: number, size: number, validators: Validators): ByteAnswer {
    const body = new PipelinedRead(session.sftp, handle, start, end);
    let released = false;
    let failed = false;
    body.on('error', () => void (failed = true));
    const release = () => {
      if (released) return;
      released = true;
      session.sftp.close(handle, () => undefined);
      // Replies to reads still in flight after a range was cut short are matched by request id and dropped: the
      // connection stays usable. One that failed is not reused.
      this.#options.pool.release(this.#target, session, !failed);
    };
    body.on('close', release);
    const url = this.displayUrl;
    return {
      size, ranged: true, validators, digests: [], skip: 0, end, body, encoded: false,
      explain: (error) => (error instanceof Error && !('retryable' in error) ? transientFailure(`SFTP read failed: ${error.message}`, url, error) : error),
      close: () => {
        if (!body.destroyed) body.destroy();
        release();
      },
    };
  }

  /** An SFTP request as a promise, its failure as a typed error. */
  #call<T>(sftp: SFTPWrapper, start: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onClose = () => reject(transientFailure('the SFTP channel closed', this.displayUrl));
      sftp.once('close', onClose);
      start((error, value) => {
        sftp.removeListener('close', onClose);
        if (error) reject(this.#mapError(error));
        else resolve(value);
      });
    });
  }

  #mapError(error: Error): Error {
    const code = (error as { code?: unknown }).code;
    if (code === NO_SUCH_FILE) return missingFile(NO_SUCH_FILE, this.displayUrl, error);
    if (code === PERMISSION_DENIED) return refusedFile(PERMISSION_DENIED, 'permission denied on the server', this.displayUrl, error);
    return transientFailure(`SFTP request failed: ${messageOf(error)}`, this.displayUrl, error);
  }
}

/** mtime as an ISO string: second resolution, as SFTP v3 gives it. */
function validatorsOf(stats: Stats): Validators {
  return { etag: undefined, lastModified: new Date(stats.mtime * 1000).toISOString() };
}
