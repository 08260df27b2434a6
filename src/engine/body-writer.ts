/**
 * The per-chunk hot path: a response body's chunks go to their offsets in the file, in large gathered writes.
 * Chunks are not copied: they are collected by reference and written with one positional writev of up to 1 MiB
 * (few, large syscalls are what make a downloader fast — BENCHMARKING.md), on libuv's thread pool so the second core
 * does the copying into the page cache. At most two writes per connection are in flight; beyond that the body is
 * paused, which pauses the socket: that is the backpressure that keeps memory bounded. A connection holds at most a
 * batch and two writes (3 MiB). 512 KiB batches were measured too: peak RSS 110 against 114 MiB for 1 GiB with 16
 * connections, but 9 % slower (bench/RESULTS.md, issue 12 session 3), so the batch stays at 1 MiB.
 *
 * The body is read in flowing mode with our own listeners, so chunks that arrived just before the connection
 * failed are still written (undici drops what its stream buffered when the socket dies) and a retry continues
 * after them.
 */

import type { SourceBody } from '../sources/source.js';

export const WRITE_BATCH_BYTES = 1024 * 1024;
const MAX_WRITES_IN_FLIGHT = 2;
/** Bytes taken from the rate limiter at a time. */
const LIMITER_STEP_BYTES = 64 * 1024;

export interface ByteSink {
  /** Positional gathered write of `chunks` (total `length` bytes) at `position`. */
  writev(chunks: Buffer[], length: number, position: number): Promise<void>;
  /** Called after bytes [start, end) reached the file. */
  written(start: number, end: number): void;
}

/** The mutable range a connection is filling. `end` may shrink while it runs (another connection took the tail). */
export interface RangeCursor {
  /** Next byte to receive. */
  position: number;
  /** Exclusive end; Infinity when the size is unknown. */
  end: number;
  /** Time of the last received chunk (ms); the stall watchdog reads it. */
  lastByteAt: number;
  /** True while waiting on the disk or the rate limiter: the watchdog must not count that as a stall. */
  paused: boolean;
  /** Bytes received in total by this cursor (for speed). */
  received: number;
}

/** The part of a response body the pump needs: a source's body (sources/source.ts). */
export type ChunkSource = SourceBody;

export interface PumpOptions {
  cursor: RangeCursor;
  sink: ByteSink;
  /** Leading body bytes to drop (a plain stream resumed by reading past what we hold). */
  skip: number;
  /** The shared rate limiter, or undefined when unlimited (then nothing is awaited per chunk). */
  limiter: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  signal: AbortSignal;
  batchBytes?: number;
  /**
   * Nothing is written before this settles (the caller is still checking the answer and preparing the file), but
   * the body is read from the start, so bytes that arrive just before a reset are kept. Rejecting fails the pump
   * and drops what was buffered.
   */
  gate?: Promise<void>;
}

export interface PumpResult {
  /** True when the range's end was reached; false when the body ended first. */
  full: boolean;
  /** Body bytes still to skip when the body ended (non-zero: the body was shorter than what we hold). */
  unskipped: number;
}

/**
 * Move the body into the file. Resolves once every accepted byte was written, when the range is full or the body
 * ended; rejects with the body's or the disk's error — after writing every byte that did arrive.
 */
export function pumpBody(source: ChunkSource, options: PumpOptions): Promise<PumpResult> {
  const { cursor, sink, limiter, signal } = options;
  const batchBytes = options.batchBytes ?? WRITE_BATCH_BYTES;
  let skip = options.skip;
  let batch: Buffer[] = [];
  let batchLength = 0;
  let inFlight = 0;
  let pausedForDisk = false;
  let limiting = false;
  let finished = false;
  let ended = false;
  let failure: unknown;
  let gateSettled = options.gate === undefined;
  let done!: (result: PumpResult) => void;
  let fail!: (error: unknown) => void;
  const result = new Promise<PumpResult>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });

  const settle = () => {
    if (finished || inFlight > 0 || limiting || !gateSettled) return;
    if (failure === undefined && !ended && cursor.position < cursor.end) return;
    finished = true;
    if (failure !== undefined) fail(failure);
    else done({ full: cursor.position >= cursor.end, unskipped: skip });
  };

  const flush = () => {
    if (!gateSettled) {
      if (batchLength >= batchBytes) {
        cursor.paused = true;
        source.pause();
      }
      return;
    }
    if (batchLength === 0) return;
    const chunks = batch;
    const length = batchLength;
    const position = cursor.position - length;
    batch = [];
    batchLength = 0;
    inFlight++;
    sink.writev(chunks, length, position).then(
      () => {
        inFlight--;
        sink.written(position, position + length);
        if (pausedForDisk && inFlight < MAX_WRITES_IN_FLIGHT) {
          pausedForDisk = false;
          cursor.paused = false;
          cursor.lastByteAt = Date.now();
          if (!limiting) source.resume();
        }
        settle();
      },
      (error: unknown) => {
        inFlight--;
        failure ??= error;
        source.pause();
        settle();
      },
    );
    if (inFlight >= MAX_WRITES_IN_FLIGHT && !pausedForDisk) {
      pausedForDisk = true;
      cursor.paused = true;
      source.pause();
    }
  };

  const accept = (received: Buffer) => {
    let chunk = received;
    if (skip > 0) {
      if (chunk.length <= skip) {
        skip -= chunk.length;
        return;
      }
      chunk = chunk.subarray(skip);
      skip = 0;
    }
    const wanted = cursor.end - cursor.position;
    if (wanted <= 0) return;
    if (chunk.length > wanted) chunk = chunk.subarray(0, wanted);
    // Chunks can be as large as a batch (large socket reads): write what is held first, so that no batch, and no
    // connection's share of memory, grows past its bound.
    if (batchLength > 0 && batchLength + chunk.length > batchBytes) flush();
    batch.push(chunk);
    batchLength += chunk.length;
    cursor.position += chunk.length;
    cursor.received += chunk.length;
    if (cursor.position >= cursor.end) {
      source.pause();
      flush();
    } else if (batchLength >= batchBytes) {
      flush();
    }
  };

  source.on('data', (chunk) => {
    if (finished || failure !== undefined || cursor.position >= cursor.end) return;
    cursor.lastByteAt = Date.now();
    if (!limiter) {
      accept(chunk);
      settle();
      return;
    }
    // Rate-limited: hold the body while the bucket refills; chunks keep their order because the source is paused.
    limiting = true;
    cursor.paused = true;
    source.pause();
    takeInSteps(chunk, 0);
  });
  /**
   * A chunk can be large (a source may hand over more than Node's 64 KiB reads): its bytes are taken from the
   * limiter in steps, so the rate holds at a fine grain instead of one large gulp at a time.
   */
  const takeInSteps = (chunk: Buffer, offset: number) => {
    const piece = chunk.length - offset <= LIMITER_STEP_BYTES ? chunk.subarray(offset) : chunk.subarray(offset, offset + LIMITER_STEP_BYTES);
    limiter!(piece.length, signal).then(
      () => {
        cursor.lastByteAt = Date.now();
        accept(piece);
        const next = offset + piece.length;
        if (next < chunk.length && failure === undefined && cursor.position < cursor.end) return takeInSteps(chunk, next);
        limiting = false;
        cursor.paused = pausedForDisk;
        if (ended || failure !== undefined) flush();
        else if (!pausedForDisk) source.resume();
        settle();
      },
      (error: unknown) => {
        limiting = false;
        failure ??= error;
        flush();
        settle();
      },
    );
  };
  source.on('end', () => {
    ended = true;
    if (!limiting) flush();
    settle();
  });
  const stop = (error: unknown) => {
    if (ended || finished) return;
    // Bytes that arrived are good bytes, even when the connection failed after them: keep them.
    failure ??= error;
    if (!limiting) flush();
    settle();
  };
  source.on('error', stop);
  source.on('close', () => stop(new Error('the response body closed before its end')));
  options.gate?.then(
    () => {
      gateSettled = true;
      cursor.paused = false;
      cursor.lastByteAt = Date.now();
      flush();
      if (!pausedForDisk && !limiting && !ended && failure === undefined) source.resume();
      settle();
    },
    (error: unknown) => {
      gateSettled = true;
      failure = error;
      batch = [];
      batchLength = 0;
      source.pause();
      settle();
    },
  );
  source.resume();
  return result;
}
