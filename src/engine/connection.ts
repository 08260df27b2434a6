/**
 * One connection of a file: the range it is filling and its attempts at it. Failures are retried through the one
 * retry loop; a source's "the file changed" or "no ranges after all" goes back to the file, which restarts it.
 */
import { ContentEncodingError, ProtocolError, RemoteChangedError, SourceHostUnavailableError } from '../errors.js';
import type { ResolvedFile } from '../job/resolved.js';
import type { ByteAnswer, ByteRequest, Validators } from '../sources/source.js';
import type { RangeCursor } from './body-writer.js';
import { RateMeter } from './rate-meter.js';
import type { ConnectionRetries } from './retry-budget.js';
import type { RetryDecision } from './retry-decision.js';
import { retrying, STOPPED, type RetryInfo } from './retry-loop.js';
import { transfer, type TransferOutcome, type TransferRequest } from './transfer.js';

export class Connection {
  readonly id: number;
  /** The host its slot was reserved on: every attempt goes there, and the slot is given back there. */
  readonly host: string;
  readonly cursor: RangeCursor;
  /** Aborted to end this connection's current request (a stall, a split-off restart, the file failing). */
  controller = new AbortController();
  /** The file's generation this connection works for: a restart makes every older connection stale. */
  generation: number;
  /** Start of the current request (for events and for bytes held but not yet written). */
  start: number;
  readonly startedAt: number;
  settled: Promise<void> = Promise.resolve();
  /** This attempt's measured rate (reset per attempt: a new request bursts again); fed by the pool's tick. */
  meter: RateMeter;
  /** cursor.received when the meter was last fed. */
  sampled = 0;
  /** Time to the answer of the current attempt (the cost of opening it), once known. */
  setupMs: number | undefined;
  /** The host answered this connection at least once (it counts as served, see host-slots.ts). */
  answered = false;
  /** Straggler bookkeeping (straggler-watch.ts): slow since when, last handed over when, raced already. */
  slowSince: number | undefined;
  handedOverAt: number | undefined;
  raced = false;

  constructor(id: number, host: string, range: { position: number; end: number }, generation: number, now = Date.now()) {
    this.id = id;
    this.host = host;
    this.cursor = { position: range.position, end: range.end, lastByteAt: now, paused: false, received: 0 };
    this.generation = generation;
    this.start = range.position;
    this.startedAt = now;
    this.meter = new RateMeter(now);
  }

  /** A new attempt begins at `now`. */
  attempting(now: number): void {
    this.meter = new RateMeter(now);
    this.sampled = this.cursor.received;
    this.setupMs = undefined;
    this.slowSince = undefined;
  }
}

/** Why a connection was ended early on purpose: a faster connection took the rest of its range (a race). */
export class HandedOver extends Error {
  constructor() {
    super('the rest of this range went to a faster connection');
  }
}

/** What a connection needs from its file. */
export interface ConnectionOwner {
  readonly file: Pick<ResolvedFile, 'retries' | 'displayUrl' | 'secrets'>;
  readonly runSignal: AbortSignal;
  /** False once the file restarted or failed after this connection began. */
  isCurrent(conn: Connection): boolean;
  /** The request for this connection's range now (what the file holds decides validators and ranges). */
  requestFor(conn: Connection, first: boolean, signal: AbortSignal): ByteRequest;
  transferParts(): Pick<TransferRequest, 'source' | 'sink' | 'limiter'>;
  /** The file may still ask for byte ranges. */
  rangesAllowed(): boolean;
  /** Before an attempt after a failure: an encoded stream cannot be continued; true when the file started over. */
  rewind(conn: Connection): Promise<boolean>;
  /** Judge a failed attempt of this connection against the file's retry budget (retry-budget.ts). */
  judge(conn: Connection, count: ConnectionRetries, reason: unknown, progress: number): RetryDecision;
  /** The file learns from an accepted answer; may throw to refuse it. */
  learn(conn: Connection, answer: ByteAnswer, first: boolean): Promise<void>;
  retried(conn: Connection, info: RetryInfo): void;
  /** The host answered this connection (first time only). */
  answered(conn: Connection): void;
  /** The attempt failed with `reason`: true when that says the host is at its connection cap (end quietly, range back to the pool). */
  shed(conn: Connection, reason: unknown): boolean;
}

/** Why a connection ended without its range: the file decides what happens next. */
export type ConnectionEnd = { kind: 'complete' } | { kind: 'stopped' } | { kind: 'shed' } | { kind: 'restart'; why: 'changed' | 'no-ranges' | 'moved'; reason?: string } | Extract<TransferOutcome, { kind: 'empty' | 'not-modified' }>;

/**
 * Fill the connection's range, retrying what is worth retrying. `first`: the file's first request (it learns the
 * file from the answer).
 */
export async function fillRange(owner: ConnectionOwner, conn: Connection, first: boolean): Promise<ConnectionEnd> {
  let isFirst = first;
  let attempts = 0;
  const count: ConnectionRetries = { attempt: 0, trickled: 0 };
  const stopped = () => !owner.isCurrent(conn) || owner.runSignal.aborted;
  const result = await retrying(
    async (): Promise<ConnectionEnd> => {
      if (attempts++ > 0 && (await owner.rewind(conn))) isFirst = true;
      // Its range was handed over while it waited to retry.
      if (conn.cursor.position >= conn.cursor.end) return { kind: 'complete' };
      // Bytes from here on are this request's: received but unwritten ones count as held.
      conn.start = conn.cursor.position;
      const openedAt = Date.now();
      conn.attempting(openedAt);
      conn.cursor.lastByteAt = openedAt;
      conn.cursor.paused = false;
      const signal = AbortSignal.any([owner.runSignal, conn.controller.signal]);
      try {
        const outcome = await transfer({
          ...owner.transferParts(),
          request: owner.requestFor(conn, isFirst, signal),
          cursor: conn.cursor,
          onAnswer: async (answer) => {
            conn.setupMs = Date.now() - openedAt;
            if (!conn.answered) {
              conn.answered = true;
              owner.answered(conn);
            }
            await owner.learn(conn, answer, isFirst);
            // The file is known now: this connection's retries ask for its own bounded range, like any other.
            isFirst = false;
          },
        });
        if (outcome.kind === 'complete') return { kind: 'complete' };
        if (outcome.kind === 'changed' || outcome.kind === 'no-ranges') return { kind: 'restart', why: outcome.kind };
        if (outcome.kind === 'moved') return { kind: 'restart', why: 'moved', reason: outcome.reason };
        return outcome;
      } catch (error) {
        const reason = conn.controller.signal.aborted ? conn.controller.signal.reason : error;
        if (stopped()) throw reason;
        if (reason instanceof HandedOver) return { kind: 'complete' };
        // The source left this connection's host (a mirror dropped): the range goes to a host it still serves from.
        // Not the host refusing, so not counted against its capacity.
        if (reason instanceof SourceHostUnavailableError) return { kind: 'shed' };
        if (owner.shed(conn, reason)) return { kind: 'shed' };
        if (reason instanceof RemoteChangedError) return { kind: 'restart', why: 'changed' };
        // A server that answers ranges wrongly gets one more chance as a single plain stream (a body that does not
        // decode would come the same way).
        if (reason instanceof ProtocolError && !(reason instanceof ContentEncodingError) && owner.rangesAllowed()) return { kind: 'restart', why: 'no-ranges' };
        throw reason;
      }
    },
    {
      retries: owner.file.retries,
      url: owner.file.displayUrl,
      secrets: owner.file.secrets,
      stopped,
      progress: () => conn.cursor.position,
      waitSignal: () => {
        // A fresh controller for the next attempt; aborting it (stop, failure, restart) also ends the wait.
        conn.controller = new AbortController();
        conn.cursor.paused = true;
        return AbortSignal.any([owner.runSignal, conn.controller.signal]);
      },
      judge: (reason, progress) => ({ decision: owner.judge(conn, count, reason, progress), attempt: count.attempt }),
      onRetry: (info) => owner.retried(conn, info),
    },
  );
  return result === STOPPED ? { kind: 'stopped' } : result;
}

/** The request for a connection's range, given what its file holds. */
export function rangeRequest(
  conn: Connection,
  f: { first: boolean; ranges: boolean; remote: { size: number | undefined; validators: Validators } | undefined; unlessUnchanged: ByteRequest['unlessUnchanged']; signal: AbortSignal },
): ByteRequest {
  const end = conn.cursor.end;
  return {
    start: conn.cursor.position,
    end: f.first || !Number.isFinite(end) ? undefined : end,
    ranges: f.ranges,
    held: f.remote ? { size: f.remote.size, validators: f.remote.validators } : undefined,
    first: f.first,
    host: conn.host,
    ...(f.unlessUnchanged ? { unlessUnchanged: f.unlessUnchanged } : {}),
    signal: f.signal,
  };
}
