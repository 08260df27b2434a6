/**
 * FTP and FTPS as a byte source. Each range is its own control and data connection: `REST <start>`, `RETR`, and
 * once the range's bytes arrived both connections are closed (FTP has no way to ask for an end). The version is
 * SIZE plus MDTM: a resume against another version is `changed`, never stitched.
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

  constructor(options: FtpSourceOptions) {
    this.#options = options;
    this.displayUrl = options.displayUrl;
    this.#target = ftpTarget(new URL(options.url));
  }

  async open(request: ByteRequest): Promise<OpenResult> {
    request.signal.throwIfAborted();
    const client = await openFtp(this.#target, this.#options.settings, this.displayUrl, this.#options.timeoutMs);
    const forget = this.#options.clients.track(client);
    const onAbort = () => client.close();
    request.signal.addEventListener('abort', onAbort, { once: true });
    let handedOver = false;
    try {
      const size = await client.size(this.#target.path).catch((error: unknown) => Promise.reject(ftpError(error, this.displayUrl, this.#target)));
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
      const body = this.#retrieve(client, request.start, end, () => {
        request.signal.removeEventListener('abort', onAbort);
        forget();
      });
      return {
        kind: 'bytes',
        answer: {
          size, ranged: true, validators, digests: [], skip: 0, end, body, encoded: false,
          explain: (error) => error,
          close: () => {
            client.close();
            if (!body.destroyed) body.destroy();
          },
        },
      };
    } finally {
      if (!handedOver) {
        request.signal.removeEventListener('abort', onAbort);
        client.close();
        forget();
      }
    }
  }

  /** RETR from `start`, cut at `end`: the body ends when the range's bytes are in, and the connections close. */
  #retrieve(client: Client, start: number, end: number, done: () => void): PassThrough {
    const body = new PassThrough({ highWaterMark: 256 * 1024 });
    let remaining = end - start;
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        if (remaining <= 0) return callback();
        const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.length;
        const more = body.write(part);
        if (remaining === 0) {
          body.end();
          client.close();
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
          // The server ended the transfer: the file may be shorter than it was (the engine sees a short body).
          if (!body.writableEnded) body.end();
        },
        (error: unknown) => {
          if (remaining > 0 && !body.destroyed) body.destroy(ftpError(error, this.displayUrl, this.#target) as Error);
        },
      )
      .finally(() => {
        client.close();
        done();
      });
    return body;
  }
}
