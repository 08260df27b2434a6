/**
 * The only place pdl constructs undici dispatchers. One Agent keeps one keep-alive pool per origin, each capped at
 * the run's per-host limit, so a job of 1,000 small files on one host reuses a handful of sockets.
 */
import { Agent, type Dispatcher } from 'undici';

export interface DispatcherOptions {
  /** Sockets per origin; the scheduler never runs more requests than this against one host. */
  perHost: number;
  /** TCP/TLS connect timeout in ms. */
  connectTimeout?: number;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return new Agent({
    connections: options.perHost,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    // pdl's own stall watchdog replaces these: undici's bodyTimeout also fires while *we* apply backpressure.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: options.connectTimeout ?? 30_000 },
  });
}
