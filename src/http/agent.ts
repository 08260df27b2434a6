/**
 * The only place pdl touches undici's constructors. One Agent keeps one keep-alive pool per origin, each capped at
 * the run's per-host limit, so a job of 1,000 small files on one host reuses a handful of sockets.
 *
 * Startup time is part of every download (it is most of the gap to curl on a 256 MiB file), and undici's main
 * entry loads fetch, WebSocket, caches and more that pdl never uses: ~60 ms. pdl loads only the Agent and the
 * request API from undici's own modules, and falls back to the main entry if a future undici moves them.
 */
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';

export interface DispatcherOptions {
  /** Sockets per origin; the scheduler never runs more requests than this against one host. */
  perHost: number;
  /** TCP/TLS connect timeout in ms. */
  connectTimeout?: number;
  /** An extra CA (PEM) to trust besides Node's bundled roots, e.g. a private CA or a test's self-signed cert. */
  ca?: string | Buffer;
}

type AgentConstructor = new (options: Record<string, unknown>) => Dispatcher;
type RequestFunction = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

const require = createRequire(import.meta.url);
const undici = loadUndici();

function loadUndici(): { Agent: AgentConstructor; request: RequestFunction } {
  try {
    return {
      Agent: require('undici/lib/dispatcher/agent.js') as AgentConstructor,
      request: require('undici/lib/api/api-request.js') as RequestFunction,
    };
  } catch {
    const full = require('undici') as { Agent: AgentConstructor; Dispatcher: { prototype: { request: RequestFunction } } };
    return { Agent: full.Agent, request: full.Dispatcher.prototype.request };
  }
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return new undici.Agent({
    connections: options.perHost,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    // pdl's own stall watchdog replaces these: undici's bodyTimeout also fires while *we* apply backpressure.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: {
      timeout: options.connectTimeout ?? 30_000,
      ...(options.ca === undefined ? {} : { ca: withPublicRoots(options.ca) }),
    },
  });
}

/**
 * Node's `ca` replaces the trusted roots rather than adding to them: keep the public ones alongside the extra CA.
 * node:tls is loaded here, not at the top, because it costs ~5 ms of startup and most runs pass no CA.
 */
function withPublicRoots(ca: string | Buffer): Array<string | Buffer> {
  const { rootCertificates } = require('node:tls') as typeof import('node:tls');
  return [...rootCertificates, ca];
}

/** undici's request API on any dispatcher (pdl's own, or one a library user passed in). */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return undici.request.call(dispatcher, options);
}
