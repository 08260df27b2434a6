import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextAction, startOrder, type InFlightView, type SchedulerAction, type SchedulerState } from '../../src/engine/scheduler.js';

const limits = { files: 2, connections: 8, perHost: 4 };
const hostsOf = (host: string | readonly string[]) => (typeof host === 'string' ? [host] : host);
const q = (key: number, host: string | readonly string[] = 'a') => ({ key, hosts: hostsOf(host) });
const f = (key: number, active: number, gain: number, host: string | readonly string[] = 'a', max = 8): InFlightView => ({ key, hosts: hostsOf(host), active, max, gain });
const state = (over: Partial<SchedulerState>): SchedulerState => ({
  limits,
  total: 0,
  perHost: new Map(),
  queued: [],
  inFlight: [],
  ...over,
});

test('what the next free slot does', () => {
  const cases: Array<[string, SchedulerState, SchedulerAction | null]> = [
    ['nothing to do', state({}), null],
    ['a queued file starts first', state({ queued: [q(1), q(2)] }), { kind: 'start', key: 1, host: 'a' }],
    [
      'files first: a second file starts before the first is split',
      state({ total: 1, perHost: new Map([['a', 1]]), queued: [q(2)], inFlight: [f(1, 1, 1e9)] }),
      { kind: 'start', key: 2, host: 'a' },
    ],
    [
      'limits.files reached: the free slot splits the in-flight file that gains most',
      state({ total: 2, perHost: new Map([['a', 2]]), queued: [q(3)], inFlight: [f(1, 1, 100), f(2, 1, 500)] }),
      { kind: 'connect', key: 2, host: 'a' },
    ],
    ['limits.connections reached: nothing', state({ total: 8, queued: [q(1)] }), null],
    [
      'a host at its cap does not block a file on another host',
      state({ total: 4, perHost: new Map([['a', 4]]), queued: [q(1, 'a'), q(2, 'b')], inFlight: [f(9, 4, 1e9, 'a')] }),
      { kind: 'start', key: 2, host: 'b' },
    ],
    [
      'a host at its cap: its files get no more connections',
      state({ total: 4, perHost: new Map([['a', 4]]), inFlight: [f(1, 4, 1e9, 'a')] }),
      null,
    ],
    [
      'a file at its own connection limit is not split further',
      state({ total: 2, perHost: new Map([['a', 2]]), inFlight: [f(1, 2, 1e9, 'a', 2)] }),
      null,
    ],
    [
      'a file in flight with no connection (between ranges) comes before new files',
      state({ total: 1, perHost: new Map([['a', 1]]), queued: [q(3)], inFlight: [f(1, 1, 0), f(2, 0, Infinity)] }),
      { kind: 'connect', key: 2, host: 'a' },
    ],
    [
      'a file winding down (no connection, nothing to gain) keeps its slot for the next file, not for a split',
      state({ total: 1, perHost: new Map([['a', 1]]), queued: [q(3)], inFlight: [f(1, 1, 1e9), f(2, 0, 0)] }),
      null,
    ],
    [
      'a file winding down, but the next file waits for a busy host: the slot splits a file on another host',
      state({ total: 4, perHost: new Map([['a', 4]]), queued: [q(3, 'a')], inFlight: [f(1, 4, 1e9, 'a'), f(2, 0, 0, 'b'), f(4, 0, 0, 'c'), f(5, 1, 300, 'b')] }),
      { kind: 'connect', key: 5, host: 'b' },
    ],
    [
      'equal gains: the first file in flight (start order) gets the slot',
      state({ total: 2, perHost: new Map([['a', 2]]), queued: [q(3)], inFlight: [f(1, 1, 500), f(2, 1, 500)] }),
      { kind: 'connect', key: 1, host: 'a' },
    ],
    [
      'limits.connections counts every host: a free host does not help when the total is reached',
      state({ total: 8, perHost: new Map([['a', 4], ['b', 4]]), queued: [q(3, 'c')], inFlight: [f(1, 4, 1e9, 'a'), f(2, 4, 1e9, 'b')] }),
      null,
    ],
    [
      'a file with no connection whose host is at its cap waits; a file on another host starts meanwhile',
      state({ limits: { ...limits, files: 4 }, total: 4, perHost: new Map([['a', 4]]), queued: [q(3, 'b')], inFlight: [f(1, 4, 0, 'a'), f(2, 0, Infinity, 'a')] }),
      { kind: 'start', key: 3, host: 'b' },
    ],
    [
      'a file with no connection is served even when limits.files is reached',
      state({ limits: { files: 1, connections: 8, perHost: 4 }, total: 0, queued: [q(3)], inFlight: [f(1, 0, Infinity)] }),
      { kind: 'connect', key: 1, host: 'a' },
    ],
    [
      'a host at its cap: the split goes to the file on another host even if it gains less',
      state({ total: 5, perHost: new Map([['a', 4], ['b', 1]]), inFlight: [f(1, 4, 1e9, 'a'), f(2, 1, 1000, 'b')] }),
      { kind: 'connect', key: 2, host: 'b' },
    ],
    [
      'files with nothing to gain get no slot',
      state({ total: 2, perHost: new Map([['a', 2]]), inFlight: [f(1, 1, 0), f(2, 1, 0)] }),
      null,
    ],
  ];
  for (const [name, input, expected] of cases) assert.deepEqual(nextAction(input), expected, name);
});

test('a file with several hosts (mirrors): each connection counts against the host it goes to', () => {
  const cases: Array<[string, SchedulerState, SchedulerAction | null]> = [
    ['a new file starts on its best host', state({ queued: [q(1, ['m1', 'm2'])] }), { kind: 'start', key: 1, host: 'm1' }],
    [
      'its best host at its cap: the file starts on the next',
      state({ total: 4, perHost: new Map([['m1', 4]]), queued: [q(1, ['m1', 'm2'])], inFlight: [f(9, 4, 0, 'm1')] }),
      { kind: 'start', key: 1, host: 'm2' },
    ],
    [
      'a split goes past the host at its cap to the next host of the file',
      state({ total: 4, perHost: new Map([['m1', 4]]), inFlight: [f(1, 4, 1e9, ['m1', 'm2'])] }),
      { kind: 'connect', key: 1, host: 'm2' },
    ],
    [
      'every host of the file at its cap: no split',
      state({ total: 8, limits: { ...limits, connections: 16 }, perHost: new Map([['m1', 4], ['m2', 4]]), inFlight: [f(1, 8, 1e9, ['m1', 'm2'], 16)] }),
      null,
    ],
    [
      'the order is the file\'s preference, not the least busy host',
      state({ total: 1, perHost: new Map([['m1', 1]]), inFlight: [f(1, 1, 1e9, ['m1', 'm2'])] }),
      { kind: 'connect', key: 1, host: 'm1' },
    ],
    [
      'a host in slow start holds back the split there, not on the file\'s other host',
      state({ total: 2, perHost: new Map([['m1', 2]]), splitLimits: new Map([['m1', 2]]), inFlight: [f(1, 2, 1e9, ['m1', 'm2'])] }),
      { kind: 'connect', key: 1, host: 'm2' },
    ],
    [
      'a host told to wait (Retry-After) is skipped for the file\'s next host, also for a file with no connection',
      state({ hostLimits: new Map([['m1', 0]]), inFlight: [f(1, 0, Infinity, ['m1', 'm2'])] }),
      { kind: 'connect', key: 1, host: 'm2' },
    ],
    [
      'the file\'s own connection limit still holds with hosts to spare',
      state({ total: 4, perHost: new Map([['m1', 2], ['m2', 2]]), inFlight: [f(1, 4, 1e9, ['m1', 'm2', 'm3'], 4)] }),
      null,
    ],
  ];
  for (const [name, input, expected] of cases) assert.deepEqual(nextAction(input), expected, name);
});

test('start order: higher priority first, ties keep job-file order', () => {
  const files = [
    { index: 0, priority: 0 },
    { index: 1, priority: 10 },
    { index: 2, priority: 0 },
    { index: 3, priority: -5 },
    { index: 4, priority: 10 },
  ];
  assert.deepEqual(
    startOrder(files).map((file) => file.index),
    [1, 4, 0, 2, 3],
  );
});
