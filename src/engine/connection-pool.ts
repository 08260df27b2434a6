/**
 * A file's connections: which are open, which generation of the file they work for (a restart or a failure makes
 * every open one stale: it ends quietly), and how they look to progress reports and to work selection.
 */
import { Connection } from './connection.js';
import type { FileRef, RangeRef } from './events.js';
import type { Interval } from '../storage/intervals.js';
import { measuredWork } from './measured-work.js';
import type { Work } from './ranges.js';
import { splitRulesFor, type SplitRules } from './split-policy.js';
import { StragglerWatch } from './straggler-watch.js';

export class ConnectionPool {
  readonly #conns = new Map<number, Connection>();
  #nextId = 1;
  #generation = 0;
  readonly #watch = new StragglerWatch();
  readonly #rules: SplitRules | undefined;

  constructor(rules?: SplitRules) {
    this.#rules = rules;
  }

  get size(): number {
    return this.#conns.size;
  }

  get(id: number): Connection | undefined {
    return this.#conns.get(id);
  }

  all(): Connection[] {
    return [...this.#conns.values()];
  }

  open(host: string, range: { position: number; end: number }): Connection {
    const conn = new Connection(this.#nextId++, host, range, this.#generation);
    this.#conns.set(conn.id, conn);
    return conn;
  }

  /** A connection carries on into the file's new generation (it restarted the file), from byte 0. */
  adoptFromStart(conn: Connection): void {
    conn.generation = this.#generation;
    conn.cursor.position = conn.start = 0;
    conn.cursor.end = Infinity;
  }

  close(conn: Connection): void {
    this.#watch.closed(conn, Date.now());
    this.#conns.delete(conn.id);
  }

  isCurrent(conn: Connection): boolean {
    return conn.generation === this.#generation;
  }

  /** Every open connection becomes stale and is aborted with `reason` (but `except`); returns the aborted ones. */
  invalidate(reason: unknown, except?: Connection): Connection[] {
    this.#generation++;
    const others = this.all().filter((c) => c !== except);
    for (const conn of others) conn.controller.abort(reason);
    return others;
  }

  /** Abort the connections that received nothing for `timeoutMs` (not counting waits on the disk or the limiter). */
  abortStalled(now: number, timeoutMs: number, reason: () => unknown): void {
    for (const conn of this.#conns.values()) {
      if (!conn.cursor.paused && now - conn.cursor.lastByteAt > timeoutMs && !conn.controller.signal.aborted) conn.controller.abort(reason());
    }
  }

  /** For progress events. */
  progress(now: number): Array<{ connection: number; start: number; end: number; position: number; speed: number }> {
    return this.all().map((c) => ({
      connection: c.id,
      start: c.start,
      end: Number.isFinite(c.cursor.end) ? c.cursor.end : -1,
      position: c.cursor.position,
      speed: (c.cursor.received * 1000) / Math.max(1, now - c.startedAt),
    }));
  }

  /** What a new connection of this file should do (measured-work.ts), or null: nothing to give it, or no ranges. */
  workFor(file: { connections: number; minSplitSize: number }, remote: { size: number | undefined; ranges: boolean }, written: readonly Interval[], now = Date.now()): Work | null {
    if (remote.size === undefined || !remote.ranges) return null;
    const conns = this.all().map((c) => ({ id: c.id, start: c.start, position: c.cursor.position, end: c.cursor.end, rate: c.meter.rate(now) }));
    const setupMs = this.#watch.setupMs ?? 0;
    return measuredWork({ size: remote.size, written, conns, setupMs, rules: splitRulesFor(file.minSplitSize, this.#rules), free: file.connections - conns.length });
  }

  /**
   * Every tick: measure the connections, and hand what stragglers hold to faster ones (straggler-watch.ts). True
   * when bytes went back to the pool.
   */
  tick(now: number, file: { minSplitSize: number }, remote: { size: number | undefined; ranges: boolean } | undefined, written: readonly Interval[]): boolean {
    const conns = this.all();
    this.#watch.sample(conns, now);
    if (remote?.size === undefined || !remote.ranges || conns.length === 0) return false;
    return this.#watch.check(conns, now, { size: remote.size, written, rules: splitRulesFor(file.minSplitSize, this.#rules) });
  }

  /** The range a new connection takes for `work`; a split first shortens the connection it takes from. */
  claim(work: Work): { position: number; end: number } {
    if (work.kind === 'take') return { position: work.start, end: work.end };
    this.#conns.get(work.id)!.cursor.end = work.at;
    return { position: work.at, end: work.end };
  }

  rangeRef(ref: FileRef, conn: Connection): RangeRef {
    return { ...ref, connection: conn.id, start: conn.start, end: Number.isFinite(conn.cursor.end) ? conn.cursor.end : -1 };
  }
}
