/**
 * The per-tick look at a file's connections: feed each connection's rate meter, keep the file's setup cost, and act
 * on stragglers (straggler-policy.ts).
 *
 * Handing over never lets two connections fetch one offset: the straggler's cursor end shrinks first, so the bytes
 * it gives up become unfetched, and the next free slot takes them (measured-work.ts, holes first). A race of the
 * very last range works the same way: the racer takes the range from where the straggler is expected to be when
 * the racer's first byte arrives, and the straggler stops there. "First bytes win" thus holds by construction —
 * the offset goes to whichever connection is expected to bring it first — and nothing is written twice. A
 * straggler left with nothing to fetch is ended at once (HandedOver).
 */
import type { Interval } from '../storage/intervals.js';
import { HandedOver, type Connection } from './connection.js';
import { unassignedIntervals } from './ranges.js';
import { smoothSetupCost } from './rate-meter.js';
import type { SplitRules } from './split-policy.js';
import { decideStraggler, DEFAULT_STRAGGLER_RULES, slowSince } from './straggler-policy.js';

/** How long a finished connection's rate still counts as a peer's (a lone straggler still has something to compare to). */
const PEER_MEMORY_MS = 5000;
const MAX_REMEMBERED = 16;

export class StragglerWatch {
  /** Expected cost of a new connection for this file, ms (smoothed time to answer). */
  setupMs: number | undefined;
  #recent: Array<{ rate: number; at: number }> = [];

  /** A connection closes: its last rate stays a peer rate for a while. */
  closed(conn: Connection, now: number): void {
    const rate = conn.meter.rate(now);
    if (rate === undefined || rate <= 0) return;
    this.#recent.push({ rate, at: now });
    if (this.#recent.length > MAX_REMEMBERED) this.#recent.shift();
  }

  /** Rates of the file's connections now (undefined = not measured yet), for splitting and progress. */
  sample(conns: readonly Connection[], now: number): void {
    for (const conn of conns) {
      const bytes = conn.cursor.received - conn.sampled;
      if (bytes > 0) {
        conn.meter.add(now, bytes);
        conn.sampled = conn.cursor.received;
      }
      if (conn.setupMs !== undefined && !counted.has(conn.meter)) {
        counted.add(conn.meter);
        this.setupMs = smoothSetupCost(this.setupMs, conn.setupMs);
      }
    }
  }

  /**
   * Hand over what stragglers hold; true when bytes went back to the pool (the scheduler should look again).
   * `size`/`written`: the file's; `rules`: its split rules.
   */
  check(conns: readonly Connection[], now: number, file: { size: number; written: readonly Interval[]; rules: SplitRules }): boolean {
    this.#recent = this.#recent.filter((r) => now - r.at < PEER_MEMORY_MS);
    const rates = new Map(conns.map((c) => [c, c.cursor.paused ? undefined : c.meter.rate(now)]));
    let changed = false;
    for (const conn of conns) {
      const rate = rates.get(conn);
      const { position, end } = conn.cursor;
      if (rate === undefined || !Number.isFinite(end) || end <= position) continue;
      const peers = [...conns.filter((c) => c !== conn).map((c) => rates.get(c)), ...this.#recent.map((r) => r.rate)];
      conn.slowSince = slowSince(conn.slowSince, now, rate, peers);
      if (conn.slowSince === undefined) continue;
      const views = conns.map((c) => ({ id: c.id, position: c.cursor.position, end: c.cursor.end }));
      const held = conns.filter((c) => c.cursor.position > c.start).map((c) => ({ start: c.start, end: c.cursor.position }));
      const isLast = unassignedIntervals(file.size, [...file.written, ...held], views).length === 0 && conns.every((c) => c === conn || c.cursor.position >= c.cursor.end);
      const decision = decideStraggler({
        now,
        range: { id: conn.id, position, end, rate },
        slowSince: conn.slowSince,
        peerRates: peers,
        setupMs: this.setupMs ?? 0,
        isLast,
        raced: conn.raced,
        split: file.rules,
      });
      if (decision.kind === 'split') {
        // Once handed over, the rest is balanced: give it a grace period before cutting it again.
        if (conn.handedOverAt !== undefined && now - conn.handedOverAt < DEFAULT_STRAGGLER_RULES.graceMs) continue;
        conn.handedOverAt = now;
        conn.cursor.end = decision.at;
        changed = true;
      } else if (decision.kind === 'race') {
        conn.raced = true;
        conn.cursor.end = Math.max(position, decision.from);
        if (conn.cursor.end <= position) conn.controller.abort(new HandedOver());
        changed = true;
      }
    }
    return changed;
  }
}

/** Meters whose setup time was counted already (a meter is one attempt). */
const counted = new WeakSet<object>();
