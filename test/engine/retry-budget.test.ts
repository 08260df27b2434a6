import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShortBodyError } from '../../src/errors.js';
import { budgetExhaustedError, failedAttemptBudget, isRealProgress, judgeFailedAttempt, progressThreshold, trickleError } from '../../src/engine/retry-budget.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

test('isRealProgress: at least 64 KiB and 1 % of the file; 64 KiB when the size is unknown', () => {
  const cases: Array<[bytes: number, size: number | undefined, real: boolean]> = [
    [0, 200 * KiB, false],
    [300, 200 * KiB, false],
    [64 * KiB - 1, 200 * KiB, false],
    [64 * KiB, 200 * KiB, true],
    [64 * KiB, 1 * KiB, true],
    [64 * KiB, undefined, true],
    [64 * KiB - 1, undefined, false],
    [100 * KiB, 10 * MiB, false], // 1 % of 10 MiB is 104,858 bytes
    [Math.ceil((10 * MiB) / 100), 10 * MiB, true],
    [1 * MiB, 1 * GiB, false],
    [Math.ceil(GiB / 100), 1 * GiB, true],
  ];
  for (const [bytes, size, real] of cases) assert.equal(isRealProgress(bytes, size), real, `${bytes} of ${size}`);
  assert.equal(progressThreshold(undefined), 64 * KiB);
  assert.equal(progressThreshold(1 * GiB), Math.ceil(GiB / 100));
});

test('failedAttemptBudget: ten failed attempts per request the retries allow', () => {
  const cases: Array<[retries: number, budget: number]> = [
    [0, 10],
    [1, 20],
    [3, 40],
    [5, 60],
    [100, 1010],
    [-1, 10],
  ];
  for (const [retries, budget] of cases) assert.equal(failedAttemptBudget(retries), budget, String(retries));
});

test('the two give-up errors say what the server does, with counts, as network errors (exit 4)', () => {
  const trickle = trickleError(4, 1200, 200 * KiB, 'other side closed', 'http://x/f', undefined);
  assert.equal(trickle.exitCode, 4);
  assert.equal(
    trickle.message,
    'server keeps closing the connection early: 4 attempts in a row brought only 1200 bytes (an attempt counts as progress from 65536 bytes); last: other side closed',
  );
  const budget = budgetExhaustedError(21, 1720320, 1, 'http://x/f', undefined);
  assert.equal(budget.exitCode, 4);
  assert.match(budget.message, /^server keeps closing the connection early: 21 failed attempts, 1720320 bytes received in total \(at most 20 failed attempts per file with retries 1\)/);
});

/** Feeds failed attempts that brought `progress` bytes each; returns how many were retried and the final error. */
function simulate(progress: number[], retries: number, size = 200 * KiB): { retried: number; error: string | undefined } {
  const conn = { attempt: 0, trickled: 0 };
  const file = { failed: 0 };
  let retried = 0;
  for (const bytes of progress) {
    const error = new ShortBodyError(0, size, 'http://x/f');
    const decision = judgeFailedAttempt({ error, progress: bytes, size, retries, received: 0, url: 'http://x/f', secrets: [] }, conn, file);
    if (decision.retry === false) return { retried, error: decision.error.message };
    retried++;
  }
  return { retried, error: undefined };
}

test('judgeFailedAttempt: trickles use up the retries, real progress renews them, the file budget caps both', () => {
  const drip = simulate(Array(10).fill(300), 3);
  assert.equal(drip.retried, 3);
  assert.match(drip.error ?? '', /^server keeps closing the connection early: 4 attempts in a row brought only 1200 bytes/);
  // A refused connection (no bytes at all) keeps its own message.
  const refused = simulate(Array(10).fill(0), 3);
  assert.equal(refused.retried, 3);
  assert.match(refused.error ?? '', /^connection closed at byte 0.*\(after 3 retries\)$/);
  // Real progress between trickles starts the count again.
  assert.deepEqual(simulate([300, 300, 300, 64 * KiB, 300, 300], 3), { retried: 6, error: undefined });
  assert.equal(simulate([300, 300, 300, 64 * KiB, 300, 300, 300], 3).retried, 6);
  // Every attempt real progress, still at most 10 × (retries + 1) failed attempts per file.
  const budget = simulate(Array(100).fill(4 * 64 * KiB), 1, 10 * 1024 * KiB);
  assert.equal(budget.retried, 20);
  assert.match(budget.error ?? '', /^server keeps closing the connection early: 21 failed attempts/);
  assert.deepEqual(simulate([], 0), { retried: 0, error: undefined });
  assert.equal(simulate([300], 0).retried, 0);
});
