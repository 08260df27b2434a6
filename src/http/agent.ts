/**
 * The only place pdl touches undici's constructors. One Agent keeps one keep-alive pool per origin, each capped at
 * the run's per-host limit, so a job of 1,000 small files on one host reuses a handful of sockets. With a proxy, it
 * is undici's EnvHttpProxyAgent instead, given the settings explicitly (so it never reads process.env) and the same
 * per-origin pool options, so the caps and timeouts hold through the proxy too.
 *
 * Startup time is part of every download (it is most of the gap to curl on a 256 MiB file), and undici's main
 * entry loads fetch, WebSocket, caches and more that pdl never uses: ~60 ms. pdl loads only the Agent and the
 * request API from undici's own modules, and falls back to the main entry if a future undici moves them.
 */
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import { usesProxy, type ProxySettings } from './proxy.js';

export interface DispatcherOptions {
  /** Sockets per origin; the scheduler never runs more requests than this against one host. */
  perHost: number;
  /** TCP/TLS connect timeout in ms. */
  connectTimeout?: number;
  /** An extra CA (PEM) to trust besides Node's bundled roots, e.g. a private CA or a test's self-signed cert. */
  ca?: string | Buffer;
  /** Proxies (usually HTTP_PROXY, HTTPS_PROXY, NO_PROXY as read by the CLI); none by default. */
  proxy?: ProxySettings | undefined;
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
  const pool = {
    connections: options.perHost,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    // pdl's own stall watchdog replaces these: undici's bodyTimeout also fires while *we* apply backpressure.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  const timeout = options.connectTimeout ?? 30_000;
  const connect = { timeout, ...(options.ca === undefined ? {} : { ca: withPublicRoots(options.ca) }) };
  if (!usesProxy(options.proxy)) return new undici.Agent({ ...pool, connect });
  return createProxyDispatcher(options.proxy, pool, connect);
}

/**
 * undici's full entry is loaded only when a proxy is configured (most runs have none). http:// URLs go to an http proxy as absolute-form
 * requests, as curl sends them (many proxies allow CONNECT only to port 443); https:// URLs through a CONNECT tunnel,
 * with TLS to the origin inside it. Every pool, to an origin or to the proxy on an origin's behalf, is made by
 * `factory` with pdl's pool options, so per-origin connection caps and the disabled undici timeouts apply there too.
 */
function createProxyDispatcher(proxy: ProxySettings, pool: Record<string, unknown>, connect: Record<string, unknown>): Dispatcher {
  const { EnvHttpProxyAgent, Pool } = loadProxyAgent();
  return new EnvHttpProxyAgent({
    ...pool,
    connect,
    // '' rather than undefined: undici falls back to process.env for missing values, and the settings given are all.
    httpProxy: proxy.httpProxy ?? '',
    httpsProxy: proxy.httpsProxy ?? '',
    noProxy: proxy.noProxy ?? '',
    proxyTunnel: false,
    requestTls: connect,
    proxyTls: { timeout: connect.timeout },
    factory: (origin: string | URL, options: Record<string, unknown>) => new Pool(origin, { ...pool, ...options }),
  });
}

type PoolConstructor = new (origin: string | URL, options: Record<string, unknown>) => Dispatcher;

function loadProxyAgent(): { EnvHttpProxyAgent: AgentConstructor; Pool: PoolConstructor } {
  // The full entry, not the modules: it is what adds `connect()` (CONNECT tunnels) to every dispatcher.
  return require('undici') as { EnvHttpProxyAgent: AgentConstructor; Pool: PoolConstructor };
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
