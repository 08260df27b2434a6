/**
 * Content codings a server applies although pdl asked for `identity` (nginx `gzip_static always` does).
 * Such a body is never the file's bytes: a whole-file answer is decoded as a stream (memory stays bounded by
 * zlib's buffers and the pump's backpressure), anything else is a protocol error that names Content-Encoding.
 */
import { pipeline, type Readable, type Transform } from 'node:stream';
import { ContentEncodingError, ProtocolError } from '../errors.js';
import type { HeaderValue } from './headers.js';

export type ContentCoding = 'gzip' | 'deflate' | 'br';

/**
 * The codings applied to a body, in the order the server applied them, identity left out; `ok: false` for a
 * coding pdl cannot undo. Names are case-insensitive; `x-gzip` is gzip (RFC 9110 §8.4.1.3).
 */
export type ParsedContentEncoding = { ok: true; codings: ContentCoding[]; header: string } | { ok: false; unknown: string; header: string };

const KNOWN = new Map<string, ContentCoding>([
  ['gzip', 'gzip'],
  ['x-gzip', 'gzip'],
  ['deflate', 'deflate'],
  ['br', 'br'],
]);

export function parseContentEncoding(value: HeaderValue): ParsedContentEncoding {
  const lines = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const header = lines.join(', ');
  const codings: ContentCoding[] = [];
  for (const item of lines.flatMap((line) => line.split(','))) {
    const name = item.trim().toLowerCase();
    if (name === '' || name === 'identity') continue;
    const coding = KNOWN.get(name);
    if (coding === undefined) return { ok: false, unknown: name, header };
    codings.push(coding);
  }
  return { ok: true, codings, header };
}


export function unsupportedCodingError(parsed: { unknown: string; header: string }, url: string): ContentEncodingError {
  return new ContentEncodingError(
    `the server sent the file with Content-Encoding: ${parsed.header}, which pdl cannot decode${parsed.header === parsed.unknown ? '' : ` (${parsed.unknown})`}; pdl asked for identity`,
    { url },
  );
}

/** A plain ProtocolError on purpose: the engine answers it by fetching the file as one stream without Range. */
export function encodedRangeError(header: string, url: string): ProtocolError {
  return new ProtocolError(`the server answered a byte range with Content-Encoding: ${header}; ranges of an encoded body cannot be combined`, {
    url,
  });
}

export interface DecodedBody {
  /** The decoded bytes; errors of the body itself come through unchanged. */
  stream: Readable;
  /** A decoder's own failure (the bytes are not what Content-Encoding says) as a ContentEncodingError; others as they are. */
  explain(error: unknown): unknown;
}

/** Undo `codings` (applied in order, so undone in reverse) as a stream. */
export function decodeBody(body: Readable, codings: readonly ContentCoding[], header: string, url: string): DecodedBody {
  let upstream: unknown;
  // Registered before pipeline's own listeners: the body's error is known before it reaches the decoders.
  body.on('error', (error: unknown) => (upstream ??= error));
  const decoders = [...codings].reverse().map(createDecoder);
  // Errors reach the caller through the last decoder, which pipeline destroys with the first error of any stream.
  pipeline([body, ...decoders], () => undefined);
  return {
    stream: decoders.at(-1)!,
    explain(error) {
      if (error === upstream || !isDecoderError(error)) return error;
      return new ContentEncodingError(`the body sent with Content-Encoding: ${header} does not decode: ${error.message}`, { url, cause: error });
    },
  };
}

function createDecoder(coding: ContentCoding): Transform {
  // Loaded on first use: few servers encode what pdl downloads, and node:zlib costs about 2 ms of every start.
  const { createBrotliDecompress, createGunzip, createInflate } = process.getBuiltinModule('node:zlib');
  switch (coding) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), which is what inflate expects.
      return createInflate();
    case 'br':
      return createBrotliDecompress();
  }
}

/** zlib reports bad input with a numeric errno and a `Z_…` code; brotli with `ERR__ERROR_…`. */
function isDecoderError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const { code, errno } = error as NodeJS.ErrnoException;
  return typeof errno === 'number' && typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR'));
}
