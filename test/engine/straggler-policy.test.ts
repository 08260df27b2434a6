import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SPLIT_RULES, type MeasuredRange } from '../../src/engine/split-policy.js';
import { decideStraggler, slowSince, type StragglerDecision, type StragglerInput } from '../../src/engine/straggler-policy.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const FAST = 2 * MiB;
const CRAWL = 20 * KiB;

test('slowSince: starts, holds and clears (table)', () => {
  const peers = [FAST, FAST, FAST];
  const cases: Array<[string, number | undefined, number | undefined, Array<number | undefined>, number | undefined]> = [
    // name, previous, rate, peers, expected (now = 5000)
    ['becomes slow now', undefined, CRAWL, peers, 5000],
    ['stays slow since 2000', 2000, CRAWL, peers, 2000],
    ['recovers', 2000, FAST, peers, undefined],
    ['exactly a quarter of the median is not slow', undefined, FAST / 4, peers, undefined],
    ['just under a quarter is slow', undefined, FAST / 4 - 1, peers, 5000],
    ['stalled (0) is slow', undefined, 0, peers, 5000],
    ['no rate yet: cannot judge', 2000, undefined, peers, undefined],
    ['no peers: cannot judge', 2000, CRAWL, [], undefined],
    ['peers not measured: cannot judge', 2000, CRAWL, [undefined, undefined], undefined],
    ['median, not mean: one fast peer among slow ones', undefined, 100 * KiB, [120 * KiB, 110 * KiB, 100 * MiB], undefined],
  ];
  for (const [name, previous, rate, peerRates, expected] of cases) assert.equal(slowSince(previous, 5000, rate, peerRates), expected, name);
});

function decide(overrides: Partial<StragglerInput> & { range: MeasuredRange }): StragglerDecision {
  return decideStraggler({
    now: 10_000,
    slowSince: 6000,
    peerRates: [FAST, FAST, FAST],
    setupMs: 50,
    isLast: false,
    raced: false,
    split: DEFAULT_SPLIT_RULES,
    ...overrides,
  });
}

test('decideStraggler: split down to the floor, race the last range, or leave it (table)', () => {
  const r = (position: number, end: number, rate: number | undefined): MeasuredRange => ({ id: 3, position, end, rate });
  const cases: Array<[string, Parameters<typeof decide>[0], StragglerDecision]> = [
    // The 4 MiB range of a 20 KiB/s connection: it keeps its floor (256 KiB), the rest goes to a fast peer.
    ['crawler with a 4 MiB range keeps the floor', { range: r(4 * MiB + 10 * KiB, 8 * MiB, CRAWL) }, { kind: 'split', id: 3, at: 4 * MiB + 320 * KiB, end: 8 * MiB }],
    ['slow for only 2 s: not yet', { range: r(4 * MiB, 8 * MiB, CRAWL), slowSince: 8001 }, { kind: 'none' }],
    ['slow for exactly 3 s', { range: r(4 * MiB, 8 * MiB, CRAWL), slowSince: 7000 }, { kind: 'split', id: 3, at: 4 * MiB + 256 * KiB, end: 8 * MiB }],
    ['not slow', { range: r(4 * MiB, 8 * MiB, FAST), slowSince: undefined }, { kind: 'none' }],
    ['stalled: keeps only the floor', { range: r(0, 1 * MiB, 0) }, { kind: 'split', id: 3, at: 256 * KiB, end: 1 * MiB }],
    // Under two floors left: no split. The last range is raced from where the straggler will be after setup.
    ['last range at the floor is raced', { range: r(1000, 300 * KiB, CRAWL), isLast: true, setupMs: 500 }, { kind: 'race', id: 3, from: 1000 + 10 * KiB, end: 300 * KiB }],
    ['stalled last range is raced from its position', { range: r(1000, 300 * KiB, 0), isLast: true }, { kind: 'race', id: 3, from: 1000, end: 300 * KiB }],
    ['not the last range: others will take the holes first', { range: r(1000, 300 * KiB, CRAWL), isLast: false }, { kind: 'none' }],
    ['already raced once', { range: r(1000, 300 * KiB, CRAWL), isLast: true, raced: true }, { kind: 'none' }],
    // 100 KiB left at 20 KiB/s is 5 s; a racer costs 6 s to start: racing gains nothing.
    ['racer would not be sooner', { range: r(0, 100 * KiB, CRAWL), isLast: true, setupMs: 6000 }, { kind: 'none' }],
    ['no peer rate to hand over to', { range: r(4 * MiB, 8 * MiB, CRAWL), peerRates: [undefined] }, { kind: 'none' }],
    ['nothing left', { range: r(8 * MiB, 8 * MiB, CRAWL), isLast: true }, { kind: 'none' }],
  ];
  for (const [name, input, expected] of cases) assert.deepEqual(decide(input), expected, name);
});
