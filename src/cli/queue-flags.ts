/**
 * `--shard`, `--shard-from-env`/`--shard-total` and `--queue`: how a run takes its part of a job shared with
 * other pdl processes. Read once here; the shard and queue modules never see argv or the environment.
 */
import { UsageError } from '../errors.js';
import { parseQueueUrl, type QueueTarget } from '../queue/redis-url.js';
import { DEFAULT_TIMING, timingFromLease, type QueueTiming } from '../queue/timing.js';
import { parseShard, shardFromEnv, type Shard } from '../shard/shard.js';
import { stringFlag, type Parsed } from './args.js';

export function shardFlags(values: Parsed['values'], env: Record<string, string | undefined>): Shard | undefined {
  const text = stringFlag(values.shard);
  const total = stringFlag(values['shard-total']);
  if (text !== undefined && values['shard-from-env'] === true) throw new UsageError('--shard and --shard-from-env: give one of them');
  if (total !== undefined && values['shard-from-env'] !== true) throw new UsageError('--shard-total: only with --shard-from-env');
  if (text !== undefined) return parseShard(text);
  return values['shard-from-env'] === true ? shardFromEnv(env, total) : undefined;
}

export interface QueueFlags {
  target: QueueTarget;
  timing: QueueTiming;
}

/** `--queue` (or REDIS_URL-free: the URL is always given), credentials from PDL_REDIS_PASSWORD/PDL_REDIS_USERNAME. */
export function queueFlags(values: Parsed['values'], env: Record<string, string | undefined>): QueueFlags | undefined {
  const url = stringFlag(values.queue);
  if (url === undefined) return undefined;
  return { target: parseQueueUrl(url, env), timing: timingOf(env) };
}

/** PDL_QUEUE_LEASE_MS: shorter leases notice a dead worker sooner, at the price of more Redis traffic. */
function timingOf(env: Record<string, string | undefined>): QueueTiming {
  const text = env['PDL_QUEUE_LEASE_MS'];
  if (text === undefined || text === '') return DEFAULT_TIMING;
  if (!/^\d+$/.test(text) || Number(text) < 500 || Number(text) > 600_000) {
    throw new UsageError(`PDL_QUEUE_LEASE_MS: expected milliseconds from 500 to 600000, got "${text}"`);
  }
  return timingFromLease(Number(text));
}
