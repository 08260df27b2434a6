/** How BullMQ connects: its own clients from the same target, waiting through short outages (the heartbeat judges). */
import type { ConnectionOptions } from 'bullmq';
import type { QueueTarget } from './redis-url.js';
import type { QueueTiming } from './timing.js';

/** Every key of a shared job starts with this, then the queue name. */
export const QUEUE_PREFIX = 'pdl';
/** Host slots and the worker register: beside BullMQ's keys, never among them. */
export const LEASE_PREFIX = 'pdl-lease';

export function bullConnection(target: QueueTarget, timing: QueueTiming): ConnectionOptions {
  return {
    ...target.options,
    connectTimeout: timing.connectTimeoutMs,
    // BullMQ's workers require it: a blocking command must not be cut short by a retry count.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  };
}
