import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialHostCapacity,
  mayOpen,
  onHostRefusal,
  onHostSuccess,
  type HostCapacity,
  type HostSignal,
} from '../../src/engine/host-capacity.js';

const refused503: HostSignal = { kind: 'refused', status: 503 };

function at(target: number, extra: Partial<HostCapacity> = {}): HostCapacity {
  return { ...initialHostCapacity(16), target, ...extra };
}

test('initialHostCapacity: perHost, or a saved target clamped to it', () => {
  const cases: Array<[number, number | undefined, number]> = [
    [16, undefined, 16],
    [16, 3, 3],
    [4, 9, 4],
    [8, 0, 8],
    [8, 2.5, 8],
  ];
  for (const [perHost, saved, expected] of cases) assert.equal(initialHostCapacity(perHost, saved).target, expected, `${perHost} ${saved}`);
  assert.throws(() => initialHostCapacity(0), RangeError);
});

test('onHostRefusal: multiplicative decrease, bounded by what the host had open, never below 1 (table)', () => {
  const cases: Array<[string, HostCapacity, HostSignal, number, number, number, 'shed' | 'retry']> = [
    // name, state, signal, others open, now, expected target, verdict
    ['a lone refused connection is an error, not capacity', at(16), refused503, 0, 100, 16, 'retry'],
    ['16 open, refused with 15 others: ⌈16 × 0.7⌉ = 12', at(16), refused503, 15, 100, 12, 'shed'],
    ['a cap of 3 found at once', at(16), refused503, 3, 100, 3, 'shed'],
    ['probe of 4 against a cap of 3', at(4), refused503, 3, 100, 3, 'shed'],
    ['429 counts the same', at(8), { kind: 'refused', status: 429 }, 7, 100, 6, 'shed'],
    ['a reset while others run', at(6), { kind: 'dropped' }, 5, 100, 5, 'shed'],
    ['never below 1', at(1), refused503, 1, 100, 1, 'shed'],
    ['2 → 1', at(2), refused503, 1, 100, 1, 'shed'],
    // Within the hold after a decrease, refusals of connections opened before it only bring it to `others`.
    ['held: no second halving', at(12, { decreasedAt: 50 }), refused503, 11, 100, 11, 'shed'],
    ['held: follows others down to the cap', at(11, { decreasedAt: 50 }), refused503, 3, 100, 3, 'shed'],
    ['hold over: decreases again, ⌈12 × 0.7⌉ = 9', at(12, { decreasedAt: 50 }), refused503, 11, 2000, 9, 'shed'],
  ];
  for (const [name, state, signal, others, now, target, verdict] of cases) {
    const result = onHostRefusal(state, signal, others, now);
    assert.equal(result.state.target, target, name);
    assert.equal(result.verdict, verdict, name);
  }
});

test('a burst of 16 against a host serving 3: the target lands on 3', () => {
  let state = initialHostCapacity(16);
  // 13 refusals come back while the refused connections close one by one.
  for (let others = 15; others >= 3; others--) state = onHostRefusal(state, refused503, others, 100 + (15 - others)).state;
  assert.equal(state.target, 3);
});

test('Retry-After holds new connections; the latest time wins', () => {
  const first = onHostRefusal(at(8), { kind: 'refused', status: 503, retryAfterMs: 2000 }, 4, 1000).state;
  assert.equal(first.notBefore, 3000);
  assert.equal(mayOpen(first, 1, 2999), false);
  assert.equal(mayOpen(first, 1, 3000), true);
  const second = onHostRefusal(first, { kind: 'refused', status: 503, retryAfterMs: 500 }, 3, 1100).state;
  assert.equal(second.notBefore, 3000);
  const lone = onHostRefusal(at(8), { kind: 'refused', status: 429, retryAfterMs: 1000 }, 0, 0);
  assert.equal(lone.verdict, 'retry');
  assert.equal(lone.state.notBefore, 1000);
  assert.equal(mayOpen(at(3), 3, 0), false);
  assert.equal(mayOpen(at(3), 2, 0), true);
});

test('onHostSuccess: slow additive increase, only when the target is used, never above perHost (table)', () => {
  const cases: Array<[string, HostCapacity, number, number, number]> = [
    // name, state, open, now, expected target
    ['quiet for 5 s at the target: +1', at(3, { changedAt: 1000 }), 3, 6000, 4],
    ['not quiet long enough', at(3, { changedAt: 1000 }), 3, 5999, 3],
    ['target not used: no growth', at(3, { changedAt: 1000 }), 2, 60_000, 3],
    ['never above perHost', at(16, { changedAt: 0 }), 16, 60_000, 16],
    ['a saved target is probed once at the start', at(3), 3, 0, 4],
  ];
  for (const [name, state, open, now, expected] of cases) assert.equal(onHostSuccess(state, open, now).target, expected, name);
});

test('a run against a host capped at 3 with -c 16 costs few refusals', () => {
  // Model: pdl opens up to the target; everything past 3 is refused at once; a connection's first byte is a success.
  let state = initialHostCapacity(16);
  let refusals = 0;
  for (let now = 0; now <= 30_000; now += 100) {
    let open = 0;
    while (mayOpen(state, open, now)) {
      if (open >= 3) {
        refusals++;
        state = onHostRefusal(state, refused503, open, now).state;
        continue;
      }
      open++;
      state = onHostSuccess(state, open, now);
    }
  }
  assert.equal(state.target, 3);
  // The first burst, then one probe every 5 s at most.
  assert.ok(refusals <= 2 + 30_000 / 5000, `${refusals} refusals`);
});
