/**
 * How fast a shared job notices a dead worker. A file's lease (BullMQ's lock) lasts `leaseMs` and is renewed every
 * half of it; every `stalledIntervalMs` some worker looks for expired leases and puts those files back, so a dead
 * worker's files are taken up within about leaseMs + 2 × stalledIntervalMs (25 s by default). The same lease bounds
 * host slots and rate shares, and how long Redis may be unreachable before a worker gives up.
 */
export interface QueueTiming {
  leaseMs: number;
  stalledIntervalMs: number;
  /** Connecting to Redis at start. */
  connectTimeoutMs: number;
  /** How often a worker with nothing to do checks whether the whole job is finished. */
  pollMs: number;
}

export const DEFAULT_TIMING: QueueTiming = { leaseMs: 15_000, stalledIntervalMs: 5_000, connectTimeoutMs: 5_000, pollMs: 500 };

/** `PDL_QUEUE_LEASE_MS` (tests, impatient operators): the other timings follow from the lease. */
export function timingFromLease(leaseMs: number): QueueTiming {
  return {
    leaseMs,
    stalledIntervalMs: Math.max(250, Math.round(leaseMs / 3)),
    connectTimeoutMs: Math.max(1000, Math.min(5000, leaseMs)),
    pollMs: Math.max(100, Math.min(500, Math.round(leaseMs / 10))),
  };
}
