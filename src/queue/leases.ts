/**
 * Limits held across every worker of a shared job: a counting semaphore per host (limits.perHost) and a register of
 * live workers (each takes an equal share of limits.rate). Both are Redis sorted sets of leases scored by their
 * expiry on Redis' own clock, so a worker that dies (kill -9, lost machine) holds nothing once its leases run out:
 * its slots and its share of the rate come back to the others without anyone cleaning up.
 */
import type { Redis } from 'ioredis';

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
  return 1
end
return 0`;

/** Renew every lease this worker holds and say how many workers are alive (for the rate share). */
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease * 4)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 3, #ARGV, 2 do
  redis.call('ZADD', ARGV[i], now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', ARGV[i], lease * 4)
end
return redis.call('ZCARD', KEYS[1])`;

export interface LeasesOptions {
  client: Redis;
  /** Key prefix of this job (its queue name). */
  prefix: string;
  workerId: string;
  leaseMs: number;
}

export interface Slot {
  key: string;
  member: string;
}

export class Leases {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #workerId: string;
  readonly #leaseMs: number;
  readonly #held = new Set<Slot>();
  #seq = 0;

  constructor(options: LeasesOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix;
    this.#workerId = options.workerId;
    this.#leaseMs = options.leaseMs;
  }

  get held(): number {
    return this.#held.size;
  }

  /** One of `limit` slots named `name`, or undefined when all are taken. */
  async tryAcquire(name: string, limit: number): Promise<Slot | undefined> {
    const slot = { key: `${this.#prefix}:slots:${name}`, member: `${this.#workerId}:${++this.#seq}` };
    const got = await this.#client.eval(ACQUIRE, 1, slot.key, limit, this.#leaseMs, slot.member);
    if (got !== 1) return undefined;
    this.#held.add(slot);
    return slot;
  }

  /** Wait for a slot; polls (bounded by the signal) because a dead holder frees its slot by expiry, not by a message. */
  async acquire(name: string, limit: number, signal: AbortSignal): Promise<Slot> {
    for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
      signal.throwIfAborted();
      const slot = await this.tryAcquire(name, limit);
      if (slot) return slot;
      await sleep(wait, signal);
    }
  }

  async release(slot: Slot): Promise<void> {
    if (!this.#held.delete(slot)) return;
    await this.#client.zrem(slot.key, slot.member);
  }

  /** Renew this worker's register entry and slots; returns the number of live workers. */
  async heartbeat(): Promise<number> {
    const args = [...this.#held].flatMap((slot) => [slot.key, slot.member]);
    return Number(await this.#client.eval(HEARTBEAT, 1, `${this.#prefix}:workers`, this.#leaseMs, this.#workerId, ...args));
  }

  /** Leave the register (on a clean exit: the others get this worker's share of the rate at once). */
  async leave(): Promise<void> {
    const slots = [...this.#held];
    this.#held.clear();
    const pipeline = this.#client.pipeline().zrem(`${this.#prefix}:workers`, this.#workerId);
    for (const slot of slots) pipeline.zrem(slot.key, slot.member);
    await pipeline.exec();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
