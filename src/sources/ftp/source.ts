/**
 * FTP and FTPS as a byte source. Each range is a control connection (a logged-in one reused from an earlier range
 * when one is idle) and a data connection: `REST <start>`, `RETR`, and once the range's bytes arrived the data
 * connection is closed (FTP has no way to ask for an end). The version is SIZE plus MDTM: a resume against another
 * version is `changed`, never stitched.
 */
import { PassThrough, Writable } from 'node:stream';
import type { Client } from 'basic-ftp';
import { ProtocolError } from '../../errors.js';
import type { ResolvedFtp } from '../../job/resolved.js';
import { validatorsDiffer, type ByteRequest, type ByteSource, type OpenResult, type Validators } from '../source.js';
import { FtpClients } from './clients.js';
import { ftpError, ftpTarget, openFtp, type FtpTarget } from './session.js';

export interface FtpSourceOptions {
  clients: FtpClients;
  url: string;
  displayUrl: string;
  settings: ResolvedFtp;
  timeoutMs: number;
}

export class FtpSource implements ByteSource {
  readonly displayUrl: string;
  readonly #options: FtpSourceOptions;
  readonly #target: FtpTarget;
  /** Which idle connections can serve this file: same server, user, password and TLS. */
  readonly #key: string;

  constructor(options: FtpSourceOptions) {
    this.#options = options;
    this.displayUrl = options.displayUrl;
    this.#target = ftpTarget(new URL(options.url));
    const t = this.#target;
    this.#key = JSON.stringify([t.host, t.port, t.user, t.secure, options.settings.password ?? null]);
  }

  async open(request: ByteRequest): Promise<OpenResult> {
    request.signal.throwIfAborted();
    const { clients } = this.#options;
    const { client, size } = await this.#loggedIn();
    const onAbort = () => clients.forget(client);
    request.signal.addEventListener('abort', onAbort, { once: true });
    let handedOver = false;
    try {
      // MDTM is an extension; without it the size alone tells versions apart.
      const modified = await client.lastMod(this.#target.path).catch(() => undefined);
      const validators: Validators = { etag: undefined, lastModified: modified === undefined || Number.isNaN(modified.getTime()) ? undefined : modified.toISOString() };
      const kept = request.unlessUnchanged;
      if (kept && kept.size === size && !validatorsDiffer(kept.validators, validators)) return { kind: 'not-modified' };
      const held = request.held;
      if (held && ((held.size !== undefined && held.size !== size) || validatorsDiffer(held.validators, validators))) return { kind: 'changed', size, validators };
      if (size === 0) return request.start === 0 ? { kind: 'empty' } : { kind: 'changed', size, validators };
      const end = Math.min(request.end ?? size, size);
      if (request.start >= end) throw new ProtocolError(`asked for bytes from ${request.start} of a ${size}-byte file`, { url: this.displayUrl });
      handedOver = true;
      const { body, stop } = this.#retrieve(client, request.start, end, size, (reusable, expected) => {
        request.signal.removeEventListener('abort', onAbort);
        clients.release(this.#key, client, reusable, expected);
      });
      return {
        kind: 'bytes',
        answer: {
          size, ranged: true, validators, digests: [], skip: 0, end, body, encoded: false,
          explain: (error) => error,
          close: () => {
            stop();
            if (!body.destroyed) body.destroy();
          },
        },
      };
    } finally {
      if (!handedOver) {
        request.signal.removeEventListener('abort', onAbort);
        clients.release(this.#key, client, true);
      }
    }
  }

  /** A logged-in connection and the file's size: an idle one from an earlier range if it still answers, else a new login. */
  async #loggedIn(): Promise<{ client: Client; size: number }> {
    const { clients, settings, timeoutMs } = this.#options;
    const idle = await clients.take(this.#key);
    if (idle !== undefined) {
      // The server may have dropped an idle connection meanwhile: then a fresh login replaces it.
      const size = await idle.size(this.#target.path).catch(() => undefined);
      if (size !== undefined) return { client: idle, size };
      clients.forget(idle);
    }
    const client = await openFtp(this.#target, settings, this.displayUrl, timeoutMs);
    clients.track(client);
    try {
      return { client, size: await client.size(this.#target.path) };
    } catch (error) {
      clients.forget(client);
      throw ftpError(error, this.displayUrl, this.#target);
    }
  }

  /**
   * RETR from `start`; the body ends once the range's bytes are in. FTP cannot end a RETR at a byte, so a range that
   * stops before the end of the file closes the data connection, and the control connection is reusable once the
   * server answered that (426 or 226). `stop` is for a range the engine no longer needs (shortened by a split).
   */
  #retrieve(client: Client, start: number, end: number, size: number, done: (reusable: boolean, expected: boolean) => void): { body: PassThrough; stop: () => void } {
    const { clients } = this.#options;
    const body = new PassThrough({ highWaterMark: 256 * 1024 });
    let remaining = end - start;
    let pending = true;
    let completed = false;
    let flowing = false;
    let stopped = false;
    let settledCleanly = false;
    let expected = false;
    const expectBack = () => {
      expected = true;
      clients.expect(this.#key);
    };
    const stop = () => {
      if (stopped || !pending || client.closed) return;
      stopped = true;
      // Before the data flows, replies to the transfer's set-up may still be due: only a new login is safe then.
      if (!flowing) return client.close();
      expectBack();
      cutTransfer(client);
    };
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        if (remaining <= 0) return callback();
        flowing = true;
        const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.length;
        const more = body.write(part);
        if (remaining === 0) {
          if (end < size) stop();
          else expectBack();
          body.end();
          return callback();
        }
        if (more) callback();
        else body.once('drain', () => callback());
      },
    });
    body.on('close', () => sink.destroy());
    client
      .downloadTo(sink, this.#target.path, start)
      .then(
        () => {
          completed = true;
          settledCleanly = true;
          // The server ended the transfer: the file may be shorter than it was (the engine sees a short body).
          if (!body.writableEnded) body.end();
        },
        (error: unknown) => {
          // A reply from the server (an FTPError, with a code) settled the transfer; anything else closed the client.
          settledCleanly = typeof (error as { code?: unknown } | undefined)?.code === 'number';
          if (remaining > 0 && !stopped && !body.destroyed) body.destroy(ftpError(error, this.displayUrl, this.#target) as Error);
        },
      )
      .then(() => {
        pending = false;
        done(stopped ? flowing && settledCleanly : completed && remaining === 0, expected);
      });
    return { body, stop };
  }
}

/**
 * End the data connection mid-RETR so that basic-ftp sees its stream end rather than fail (a failed stream would
 * close the control connection too); the server's one reply to the cut (426, or 226 if it had sent all) then
 * settles the transfer on the control connection, which is free for the next range.
 */
function cutTransfer(client: Client): void {
  const data = client.ftp.dataSocket;
  if (data === undefined) return;
  data.unpipe();
  data.push(null);
  data.destroy();
}
