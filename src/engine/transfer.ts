/**
 * One attempt at one byte range from a source: open it, let the file learn from the answer, and stream the body
 * to its offsets. It decides nothing about retries or restarts; it reports what happened.
 */
import { RemoteChangedError, ShortBodyError } from '../errors.js';
import type { ByteAnswer, ByteRequest, ByteSource, OpenResult } from '../sources/source.js';
import { pumpBody, type ByteSink, type RangeCursor } from './body-writer.js';

export interface TransferRequest {
  source: ByteSource;
  request: ByteRequest;
  cursor: RangeCursor;
  sink: ByteSink;
  /** Runs before each chunk is taken (the rate limiter); may pause. */
  limiter: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** Called once the answer is accepted, before any body byte is written (learn size, preallocate …). */
  onAnswer: (answer: ByteAnswer) => Promise<void> | void;
}

export type TransferOutcome = { kind: 'complete'; answer: ByteAnswer } | Exclude<OpenResult, { kind: 'bytes' }>;

export async function transfer(t: TransferRequest): Promise<TransferOutcome> {
  const opened = await t.source.open(t.request);
  if (opened.kind !== 'bytes') return opened;
  const { answer } = opened;
  const { cursor } = t;
  try {
    // A source may answer with less than asked (the rest goes back to the pool of work), or — to a file's first
    // request — with the whole file, which this cursor then covers.
    cursor.end = Math.min(cursor.end, answer.end);
    // Read the body from now on (a reset must not lose what already arrived), but write nothing before the file
    // accepted the answer and prepared itself.
    const ready = Promise.resolve().then(() => t.onAnswer(answer));
    const pumped = pumpBody(answer.body, { cursor, sink: t.sink, skip: answer.skip, limiter: t.limiter, signal: t.request.signal, gate: ready });
    const { unskipped } = await pumped.catch((error: unknown) => Promise.reject(answer.explain(error)));
    if (unskipped > 0) {
      // The whole body is shorter than the bytes we already hold: not the file we were reading.
      throw new RemoteChangedError(`the file is now shorter than the ${answer.skip} bytes already received`, { url: t.source.displayUrl });
    }
    if (Number.isFinite(cursor.end) && cursor.position < cursor.end) throw new ShortBodyError(cursor.position, cursor.end, t.source.displayUrl);
    return { kind: 'complete', answer };
  } finally {
    answer.close();
  }
}
