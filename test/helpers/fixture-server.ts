/**
 * The fixture HTTP server every download test talks to: a real node:http server on 127.0.0.1 port 0 serving
 * deterministic files (see content.ts), able to misbehave per path and per attempt (see faults.ts), and
 * recording every request and connection so tests can assert what the client sent and how many sockets it used.
 * One instance is one origin; start two (optionally on 127.0.0.2) for cross-origin tests.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { contentBytes, contentDigest } from './content.js';
import type { RedirectStatus } from './faults.js';
import {
  contentSeedOf,
  sendErrorPage,
  sendSmall,
  serveFile,
  validatorsOf,
  type FileSpec,
  type FileState,
  type RecordedRequest,
} from './serve-file.js';

export type { Fault, RedirectStatus } from './faults.js';
export type { DigestMode, FileSpec, RecordedRequest } from './serve-file.js';

export interface FixtureStats {
  connectionsOpened: number;
  currentConnections: number;
  maxConcurrentConnections: number;
  currentRequests: number;
  maxConcurrentRequests: number;
  /** Body bytes handed to sockets (not headers). */
  bytesServed: number;
  /** Requests (any method) per path. */
  requestsByPath: Record<string, number>;
  /** Requests of any method and path, refused ones included. */
  requests: number;
  /** Requests answered with the parallel limit's status because too many were being served (see ParallelLimit). */
  refusals: number;
  /** The most requests served at once, refused ones not counted (maxConcurrentRequests counts them). */
  maxConcurrentServed: number;
}

/**
 * A host that serves at most `max` requests at once, like nginx `limit_conn`: one more gets `status`
 * (default 503) at once, optionally with Retry-After. Refused requests do not count against the limit.
 */
export interface ParallelLimit {
  max: number;
  status?: 429 | 503;
  retryAfter?: string;
}

/** Requests served at once across several servers (one file's mirrors): the most seen together. */
export interface ServingGroup {
  serving: number;
  peak: number;
}

/** What a file looks like right now, for computing expectations. */
export interface ServedFile {
  path: string;
  url: string;
  size: number;
  version: number;
  /** The seed of the current content: contentBytes(seed, offset, length) reproduces any range. */
  seed: string;
  etag: string | undefined;
  lastModified: string | undefined;
  /** Hex SHA-256 of the current content (computed on first use, memoised). */
  readonly sha256: string;
  bytes(offset?: number, length?: number): Buffer;
}

type Route = { kind: 'file'; file: FileState } | { kind: 'redirect'; location: string; status: RedirectStatus };

export class FixtureServer {
  readonly origin: string;
  readonly requests: RecordedRequest[] = [];
  readonly stats: FixtureStats = {
    connectionsOpened: 0,
    currentConnections: 0,
    maxConcurrentConnections: 0,
    currentRequests: 0,
    maxConcurrentRequests: 0,
    bytesServed: 0,
    requestsByPath: {},
    requests: 0,
    refusals: 0,
    maxConcurrentServed: 0,
  };
  readonly #http: Server;
  readonly #routes = new Map<string, Route>();
  readonly #attempts = new Map<string, number>();
  readonly #sockets = new Map<Socket, number>();
  readonly #started = performance.now();
  #nextSocketId = 1;
  #closing: Promise<void> | undefined;
  #parallelLimit: ParallelLimit | undefined;
  /** Requests in flight that were not refused by the parallel limit. */
  #serving = 0;
  /** Shared with other servers, when given (FixtureServerOptions.group). */
  readonly group: ServingGroup | undefined;

  constructor(http: Server, origin: string, parallelLimit?: ParallelLimit, group?: ServingGroup) {
    this.#http = http;
    this.origin = origin;
    this.group = group;
    this.setParallelLimit(parallelLimit);
    http.on('connection', (socket: Socket) => this.#onConnection(socket));
    http.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
  }

  url(path: string): string {
    return new URL(path, this.origin).href;
  }

  /** Adds or replaces a file; returns its URL. */
  addFile(path: string, spec: FileSpec): string {
    if (!path.startsWith('/')) throw new Error(`Expected a path starting with '/', got ${path}`);
    if (!Number.isSafeInteger(spec.size) || spec.size < 0) throw new Error(`Expected a non-negative size, got ${spec.size}`);
    if (spec.body !== undefined && Buffer.byteLength(spec.body) !== spec.size) throw new Error(`Expected size ${Buffer.byteLength(spec.body)} for the body of ${path}`);
    this.#routes.set(path, { kind: 'file', file: { path, spec: { ...spec }, version: spec.version ?? 1, faultHits: [] } });
    return this.url(path);
  }

  /** A file of exactly `text` (UTF-8), ranges and validators as for any file; returns its URL. */
  addText(path: string, text: string, spec: Omit<FileSpec, 'size' | 'body'> = {}): string {
    return this.addFile(path, { contentType: 'text/plain; charset=utf-8', ...spec, size: Buffer.byteLength(text), body: text });
  }

  /** `count` files `${prefix}/0000.bin`, `${prefix}/0001.bin`, …; returns their paths. */
  addFiles(prefix: string, count: number, spec: FileSpec | ((index: number) => FileSpec)): string[] {
    const base = prefix.replace(/\/+$/, '');
    return Array.from({ length: count }, (_, i) => {
      const path = `${base}/${String(i).padStart(4, '0')}.bin`;
      this.addFile(path, typeof spec === 'function' ? spec(i) : spec);
      return path;
    });
  }

  addRedirect(path: string, location: string, status: RedirectStatus = 302): string {
    this.#routes.set(path, { kind: 'redirect', location, status });
    return this.url(path);
  }

  file(path: string): ServedFile {
    const file = this.#file(path);
    const seed = contentSeedOf(file);
    const size = file.spec.size;
    return {
      path,
      url: this.url(path),
      size,
      version: file.version,
      seed,
      ...validatorsOf(file),
      get sha256() {
        const { body } = file.spec;
        return body !== undefined ? createHash('sha256').update(body).digest('hex') : contentDigest(seed, size, 'sha256').toString('hex');
      },
      bytes: (offset = 0, length = size - offset) =>
        file.spec.body !== undefined ? Buffer.from(file.spec.body).subarray(offset, offset + length) : contentBytes(seed, offset, length),
    };
  }

  setVersion(path: string, version: number): void {
    this.#file(path).version = version;
  }

  /** Changes part of a file's spec; new `faults` start counting from zero. */
  mutate(path: string, changes: Partial<FileSpec>): void {
    const file = this.#file(path);
    file.spec = { ...file.spec, ...changes };
    if (changes.version !== undefined) file.version = changes.version;
    if (changes.faults !== undefined) file.faultHits = [];
  }

  /** Caps the requests served at once (undefined = no cap); applies to requests arriving from now on. */
  setParallelLimit(limit: ParallelLimit | undefined): void {
    if (limit !== undefined && (!Number.isSafeInteger(limit.max) || limit.max < 1)) {
      throw new Error(`Expected a parallel limit of at least 1, got ${limit.max}`);
    }
    this.#parallelLimit = limit === undefined ? undefined : { ...limit };
  }

  /** Clears records, counters and attempt numbers; live connection/request counts stay true. */
  reset(): void {
    this.requests.length = 0;
    this.#attempts.clear();
    for (const route of this.#routes.values()) if (route.kind === 'file') route.file.faultHits = [];
    const s = this.stats;
    Object.assign(s, { connectionsOpened: 0, bytesServed: 0, requestsByPath: {}, requests: 0, refusals: 0 });
    s.maxConcurrentServed = this.#serving;
    s.maxConcurrentConnections = s.currentConnections;
    s.maxConcurrentRequests = s.currentRequests;
  }

  /** Stops listening, destroys every open socket (keep-alive and mid-response) and resolves once closed. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
      for (const socket of this.#sockets.keys()) socket.destroy();
    });
    return this.#closing;
  }

  #file(path: string): FileState {
    const route = this.#routes.get(path);
    if (route?.kind !== 'file') throw new Error(`No fixture file at ${path}`);
    return route.file;
  }

  #onConnection(socket: Socket): void {
    const s = this.stats;
    this.#sockets.set(socket, this.#nextSocketId++);
    s.connectionsOpened++;
    s.currentConnections++;
    s.maxConcurrentConnections = Math.max(s.maxConcurrentConnections, s.currentConnections);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      s.currentConnections--;
    });
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const s = this.stats;
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', this.origin).pathname;
    const attemptKey = `${method} ${path}`;
    const attempt = (this.#attempts.get(attemptKey) ?? 0) + 1;
    this.#attempts.set(attemptKey, attempt);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: RecordedRequest = {
      method,
      url: req.url ?? '/',
      path,
      headers,
      range: headers['range'],
      ifRange: headers['if-range'],
      attempt,
      socketId: this.#sockets.get(req.socket) ?? 0,
      time: performance.now() - this.#started,
      status: undefined,
      faults: [],
    };
    this.requests.push(record);
    s.requestsByPath[path] = (s.requestsByPath[path] ?? 0) + 1;
    s.requests++;
    s.currentRequests++;
    s.maxConcurrentRequests = Math.max(s.maxConcurrentRequests, s.currentRequests);
    res.once('close', () => s.currentRequests--);

    const limit = this.#parallelLimit;
    if (limit !== undefined && this.#serving >= limit.max) {
      s.refusals++;
      record.faults.push('parallel-limit');
      const status = limit.status ?? 503;
      return sendErrorPage(res, record, status, limit.retryAfter !== undefined ? { 'Retry-After': limit.retryAfter } : {});
    }
    this.#serving++;
    s.maxConcurrentServed = Math.max(s.maxConcurrentServed, this.#serving);
    res.once('close', () => this.#serving--);
    const group = this.group;
    if (group) {
      group.peak = Math.max(group.peak, ++group.serving);
      res.once('close', () => group.serving--);
    }

    this.#respond(res, record).catch((error: unknown) => {
      // A fixture bug must not hang the test: fail the response loudly.
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  }

  async #respond(res: ServerResponse, record: RecordedRequest): Promise<void> {
    const route = this.#routes.get(record.path);
    if (route === undefined) return sendErrorPage(res, record, 404);
    if (route.kind === 'redirect') return sendSmall(res, record, route.status, { Location: route.location });
    if (record.method !== 'GET' && record.method !== 'HEAD') return sendErrorPage(res, record, 405, { Allow: 'GET, HEAD' });
    await serveFile(res, route.file, record, (n) => {
      this.stats.bytesServed += n;
    });
  }
}

export interface FixtureServerOptions {
  /** Default 127.0.0.1; any 127/8 address works on Linux, e.g. 127.0.0.2 for a second "host". */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Serve at most this many requests at once; see ParallelLimit and FixtureServer.setParallelLimit. */
  parallelLimit?: ParallelLimit;
  /** Count requests served at once together with the other servers given the same group. */
  group?: ServingGroup;
}

export async function startFixtureServer(options: FixtureServerOptions = {}): Promise<FixtureServer> {
  const host = options.host ?? '127.0.0.1';
  const http = createServer();
  http.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  return new FixtureServer(http, `http://${host}:${port}`, options.parallelLimit, options.group);
}
