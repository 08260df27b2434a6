import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { TokenBucket, type TokenBucketTimers } from '../../src/engine/token-bucket.js';

/** A clock and timers that only move when the test says so. */
class VirtualTime implements TokenBucketTimers {
  now = 0;
  #next = 1;
  readonly timers = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Let promise callbacks run, then fire the earliest timer. False when none is left. */
  async step(): Promise<boolean> {
    await tick();
    let first: [number, { at: number; callback: () => void }] | undefined;
    for (const entry of this.timers) if (first === undefined || entry[1].at < first[1].at) first = entry;
    if (first === undefined) return false;
    this.timers.delete(first[0]);
    this.now = Math.max(this.now, first[1].at);
    first[1].callback();
    await tick();
    return true;
  }

  bucket(rate: number, burst?: number): TokenBucket {
    return new TokenBucket({ rate, burst, now: () => this.now, timers: this });
  }
}

test('8 concurrent takers over a simulated 10 s get rate × 10 within 5%, in fair shares', async () => {
  const time = new VirtualTime();
  const rate = 1024 * 1024;
  const bucket = time.bucket(rate);
  const chunks = [16 * 1024, 16 * 1024, 16 * 1024, 16 * 1024, 64 * 1024, 64 * 1024, 4096, 200 * 1024]; // last > burst
  const granted = chunks.map(() => 0);
  const until = 10_000;
  const takers = chunks.map(async (chunk, i) => {
    for (let n = 0; n < 100_000; n++) {
      await bucket.take(chunk);
      if (time.now >= until) return;
      granted[i] = (granted[i] ?? 0) + chunk;
    }
  });
  for (let steps = 0; steps < 100_000 && (await time.step()); steps++);
  await Promise.all(takers);
  const total = granted.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - rate * 10) <= rate * 10 * 0.05, `granted ${total}, expected about ${rate * 10}`);
  // FIFO: everyone gets about the same number of turns, so bytes are in proportion to chunk size.
  const turns = granted.map((bytes, i) => bytes / (chunks[i] ?? 1));
  const mean = turns.reduce((a, b) => a + b, 0) / turns.length;
  for (const t of turns) assert.ok(Math.abs(t - mean) <= 1, `turns ${turns.join(',')}`);
  assert.equal(time.timers.size, 0, 'no timer left once nobody waits');
});

test('waiters are served in arrival order, small ones never overtake', async () => {
  const time = new VirtualTime();
  const bucket = time.bucket(1000, 100);
  await bucket.take(100); // empty the bucket
  const order: string[] = [];
  const waits = [
    ['A', 50],
    ['B', 10],
    ['C', 80],
    ['D', 1],
  ].map(([name, n]) => bucket.take(n as number).then(() => order.push(`${name}@${time.now}`)));
  assert.equal(bucket.pending, 4);
  time.now = 30; // 30 tokens: E alone could go now, but it arrived last
  waits.push(bucket.take(10).then(() => order.push(`E@${time.now}`)));
  for (let steps = 0; steps < 100 && (await time.step()); steps++);
  await Promise.all(waits);
  // 1000 B/s = 1 byte per ms: A needs 50 ms, then B 10, C 80, D 1, E 10.
  assert.deepEqual(order, ['A@50', 'B@60', 'C@140', 'D@141', 'E@151']);
});

test('a take larger than the burst waits for a full bucket, then leaves a debt', async () => {
  const time = new VirtualTime();
  const bucket = time.bucket(1000, 100);
  await bucket.take(60);
  let bigAt = -1;
  const big = bucket.take(1000).then(() => (bigAt = time.now));
  let smallAt = -1;
  const small = bucket.take(10).then(() => (smallAt = time.now));
  for (let steps = 0; steps < 100 && (await time.step()); steps++);
  await Promise.all([big, small]);
  assert.equal(bigAt, 60); // 40 left, 60 ms to fill to the burst of 100
  assert.equal(smallAt, 60 + 910); // 100 − 1000 = −900 debt, then 10 more
});

test('abort of the head rejects with the reason and unblocks the waiters behind it', async () => {
  const time = new VirtualTime();
  const bucket = time.bucket(1000, 100);
  await bucket.take(100);
  const controller = new AbortController();
  const head = bucket.take(100, controller.signal);
  let behindAt = -1;
  const behind = bucket.take(5).then(() => (behindAt = time.now));
  assert.equal(bucket.pending, 2);
  time.now = 10; // 10 tokens accrued: not enough for the head, enough for the one behind
  const reason = new Error('stop');
  controller.abort(reason);
  await assert.rejects(head, (error) => error === reason);
  await behind;
  assert.equal(behindAt, 10);
  assert.equal(bucket.pending, 0);
  assert.equal(time.timers.size, 0, 'timer cleared once the queue is empty');
});

test('abort of a waiter in the middle keeps the others in order; pre-aborted signals take nothing', async () => {
  const time = new VirtualTime();
  const bucket = time.bucket(1000, 100);
  const already = AbortSignal.abort(new Error('early'));
  await assert.rejects(bucket.take(100, already), /early/);
  await bucket.take(100); // the aborted take consumed nothing: a full burst is still there
  const controller = new AbortController();
  const order: string[] = [];
  const a = bucket.take(20).then(() => order.push(`a@${time.now}`));
  const b = bucket.take(30, controller.signal).then(() => order.push('b'));
  const c = bucket.take(20).then(() => order.push(`c@${time.now}`));
  controller.abort();
  await assert.rejects(b, (error: unknown) => error instanceof DOMException && error.name === 'AbortError');
  for (let steps = 0; steps < 100 && (await time.step()); steps++);
  await Promise.all([a, c]);
  assert.deepEqual(order, ['a@20', 'c@40']);
  // Aborting after the grant is harmless.
  const late = new AbortController();
  await bucket.take(0, late.signal);
  late.abort();
});

test('rate 0 is unlimited; setRate changes the pace and 0 releases every waiter', async () => {
  const time = new VirtualTime();
  const free = time.bucket(0);
  assert.equal(free.unlimited, true);
  await free.take(10 ** 12);
  assert.equal(time.timers.size, 0);

  const bucket = time.bucket(1000, 100);
  assert.equal(bucket.unlimited, false);
  await bucket.take(100);
  let firstAt = -1;
  const first = bucket.take(100).then(() => (firstAt = time.now));
  bucket.setRate(10_000); // 10 bytes per ms from now on
  for (let steps = 0; steps < 100 && (await time.step()); steps++);
  await first;
  assert.equal(firstAt, 10);

  const waiting = [bucket.take(100), bucket.take(100), bucket.take(100)];
  assert.equal(bucket.pending, 3);
  bucket.setRate(0);
  await Promise.all(waiting);
  assert.equal(bucket.pending, 0);
  assert.equal(time.timers.size, 0);
  assert.equal(bucket.unlimited, true);

  bucket.setRate(1000); // limited again, starting from a full burst
  const limitedAt = time.now;
  await bucket.take(100);
  let againAt = -1;
  const again = bucket.take(50).then(() => (againAt = time.now));
  for (let steps = 0; steps < 100 && (await time.step()); steps++);
  await again;
  assert.equal(againAt - limitedAt, 50);
});

test('defaults and validation', () => {
  assert.equal(new TokenBucket({ rate: 1000 }).burst, 16 * 1024, 'burst at least 16 KiB');
  assert.equal(new TokenBucket({ rate: 10 * 1024 * 1024 }).burst, 1024 * 1024, 'burst rate/10');
  const bucket = new TokenBucket({ rate: 10 * 1024 * 1024 });
  bucket.setRate(20 * 1024 * 1024);
  assert.equal(bucket.burst, 2 * 1024 * 1024, 'a default burst follows the rate');
  assert.equal(new TokenBucket({ rate: 10 * 1024 * 1024, burst: 500 }).burst, 500);
  for (const rate of [-1, Number.NaN, Infinity]) assert.throws(() => new TokenBucket({ rate }), RangeError, String(rate));
  for (const burst of [0, -5, Number.NaN]) assert.throws(() => new TokenBucket({ rate: 1, burst }), RangeError, String(burst));
  assert.throws(() => bucket.setRate(-1), RangeError);
  assert.throws(() => void bucket.take(-1), RangeError);
});

test('with the real clock and timers, a take beyond the tokens waits for them', async () => {
  const started = performance.now();
  const bucket = new TokenBucket({ rate: 100_000, burst: 10_000 });
  await bucket.take(10_000);
  // 50 ms of tokens beyond the full bucket. Timed from before the bucket existed: a slow event loop between the
  // two takes lets tokens accrue, so timing only the second take could measure less than 50 ms, correctly.
  await bucket.take(5_000);
  const waited = performance.now() - started;
  // A lower bound only: the bucket itself measures with this clock, so it cannot grant early.
  assert.ok(waited >= 45, `waited ${waited} ms`);
  assert.equal(bucket.pending, 0);
});
