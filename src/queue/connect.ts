/**
 * The control connection of a worker: it fails fast (no offline queue, one try per command) so that a Redis that is
 * down is noticed by the heartbeat within a lease, instead of commands waiting forever for a reconnect.
 */
import { Redis } from 'ioredis';
import { QueueError } from '../errors.js';
import type { QueueTarget } from './redis-url.js';

export async function connectControl(target: QueueTarget, timeoutMs: number): Promise<Redis> {
  let connected = false;
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // At start a refusal is the answer; later, keep trying in the background: the heartbeat decides when a loss has
    // lasted too long.
    retryStrategy: (times) => (connected ? Math.min(times * 100, 1000) : null),
  });
  // ioredis reports every failed reconnect as an 'error' event; unheard, Node would throw it.
  let last: Error | undefined;
  client.on('error', (error: Error) => {
    last = error;
    lastErrors.set(client, error);
  });
  try {
    await withTimeout(client.connect(), timeoutMs);
    await withTimeout(client.ping(), timeoutMs);
    connected = true;
  } catch (error) {
    client.disconnect();
    throw new QueueError(`cannot reach Redis at ${target.display}: ${describe(last ?? error)}`, { cause: error });
  }
  return client;
}

const lastErrors = new WeakMap<Redis, Error>();

/** What the client last failed with (ECONNREFUSED…): clearer than a failed command's "stream isn't writeable". */
export function lastErrorOf(client: Redis): Error | undefined {
  return lastErrors.get(client);
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  // Never echo a URL from the client's own message: it may carry the password.
  const message = error.message.replace(/\b(rediss?:\/\/)[^@\s]*@/gi, '$1***@');
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
