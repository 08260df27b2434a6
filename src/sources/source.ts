/**
 * The one interface between the transfer engine and anything that serves bytes of a remote file (HTTP today;
 * SFTP, FTP and mirrors next). A source opens a byte range, or the whole file, and answers with what it learned
 * about the file (size, validators, digests) and a body stream — or with why it cannot: the file changed, the
 * server does not do ranges, the file is empty, the copy held is still current. Failures are typed errors from
 * errors.ts whose `retryable`/`retryAfterMs`/`overloaded` fields are all the engine reads: the engine knows no
 * status codes.
 */

/** What identifies one version of a remote file. */
export interface Validators {
  /** Strong ETag, quoted (HTTP); undefined where the protocol has none. */
  etag: string | undefined;
  /** Modification time as the server states it. */
  lastModified: string | undefined;
}

export const NO_VALIDATORS: Validators = Object.freeze({ etag: undefined, lastModified: undefined });

/** A digest of the whole file announced by the server (e.g. HTTP Repr-Digest). */
export interface SourceDigest {
  algorithm: 'sha256' | 'sha512';
  /** Lower-case hex. */
  hex: string;
  /** Where it was announced, for messages. */
  source: string;
}

/** The stream of body bytes (undici's BodyReadable is one); read in flowing mode by the engine's pump. */
export interface SourceBody {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface ByteRequest {
  /** First byte wanted. */
  start: number;
  /** Exclusive end, or undefined for "to the end of the file". */
  end: number | undefined;
  /** Ask for a byte range at all (false once the source was found not to honour ranges: the whole file comes). */
  ranges: boolean;
  /** The version of the file we hold bytes of: an answer about another version comes back as `changed`. */
  held: { size: number | undefined; validators: Validators } | undefined;
  /** The file's first request (nothing held yet): an answer with the whole file is simply the file, as one stream. */
  first: boolean;
  /** Only if the file differs from this version (`ifExists: newer`): otherwise the answer is `not-modified`. */
  unlessUnchanged?: { size: number; validators: Validators } | undefined;
  /**
   * The host the caller holds a connection slot on (one of `hosts()`): a source with several places serves the
   * request from that host, or throws SourceHostUnavailableError when it no longer serves from there.
   */
  host?: string;
  signal: AbortSignal;
}

export interface ByteAnswer {
  /** The file's total size, when the answer told it. */
  size: number | undefined;
  /** True when this answer proves byte ranges work (a partial answer matching the request). */
  ranged: boolean;
  validators: Validators;
  digests: SourceDigest[];
  /** Leading body bytes to drop: a whole-file answer to a request that starts past byte 0. */
  skip: number;
  /** Exclusive end of the file bytes this body carries (Infinity when unknown). */
  end: number;
  body: SourceBody;
  /**
   * The body is a decoding of what the server sent (an HTTP Content-Encoding): one stream that can neither be
   * split nor continued after a break by skipping what is held — it starts again from byte 0.
   */
  encoded: boolean;
  /** What an error of the body means (a decoder's failure becomes a clear error); others pass unchanged. */
  explain(error: unknown): unknown;
  /** Release the body (closing its connection when it was not read to the end). Safe to call twice. */
  close(): void;
}

export type OpenResult =
  | { kind: 'bytes'; answer: ByteAnswer }
  /** Not the version held (validators or size differ): the caller starts the file again. */
  | { kind: 'changed'; size: number | undefined; validators: Validators }
  /** A range was asked for a file that is partly held, and the whole file came: the source does not do ranges. */
  | { kind: 'no-ranges' }
  /** The file exists and has no bytes. */
  | { kind: 'empty' }
  /** `unlessUnchanged` was given and the file is that version. */
  | { kind: 'not-modified' }
  /** The source serves the file from another place now (a mirror failed): the caller starts the file again. */
  | { kind: 'moved'; reason: string };

/** How many bytes one place served for a file (the report's per-mirror lines). */
export interface ServedBy {
  url: string;
  bytes: number;
  /** Why this place was dropped for the file, if it was. */
  dropped?: string;
  /** Set when it was found to serve wrong bytes. */
  bad?: boolean;
}

/** One remote file at one place. Stateful: it may remember where redirects led. */
export interface ByteSource {
  /** The location as shown to the user (secrets masked). */
  readonly displayUrl: string;
  /** Where requests go now, when that is not where they went first (the end of a redirect). */
  readonly finalUrl?: string | undefined;
  open(request: ByteRequest): Promise<OpenResult>;
  /**
   * The hosts a new connection of this file could go to now, best first; never empty. Per-host connection limits
   * count against the one chosen (passed back as ByteRequest.host). Without it: the host of `displayUrl`'s origin.
   */
  hosts?(): readonly string[];
  /**
   * The bytes served since the file last started failed its checksum. A source that can fetch them from somewhere
   * else answers why the file starts again (the caller then does); undefined leaves it to the caller's own rule.
   */
  rejected?(): string | undefined;
  /** The file's bytes matched its checksum. */
  verified?(): void;
  /** Bytes served per place, when the source has several. */
  served?(): ServedBy[];
}

/** True when `seen` shows a different version of the file than `held`. */
export function validatorsDiffer(held: Validators, seen: Validators): boolean {
  if (held.etag || seen.etag) return held.etag !== seen.etag;
  return held.lastModified !== seen.lastModified;
}
