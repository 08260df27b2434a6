/**
 * Misbehaviour the fixture server can be told to show, per file and per attempt.
 *
 * Counting: each fault counts the requests that pass its own filters (`method`, `rangeStart`), from 1.
 * Without a `rangeStart` filter that is "the Nth GET of this path"; with one it is "the Nth request for the
 * range starting there", which stays deterministic when several ranges of one file are fetched in parallel.
 * Without `attempts`/`firstN` a fault applies to every request that passes its filters.
 */

export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface FaultWhen {
  /** Which matching requests (counted from 1) get the fault, e.g. [1, 2]. */
  attempts?: number[];
  /** The first K matching requests get the fault. */
  firstN?: number;
  /**
   * Only requests with a satisfiable single Range starting at this offset; 'nonzero' = any range not
   * starting at 0; 'range' = any range request. Unset = every request, with or without Range.
   */
  rangeStart?: number | 'nonzero' | 'range';
  /** Default 'GET'. HEAD requests only see 'status', 'redirect' and 'change-version' faults. */
  method?: 'GET' | 'HEAD' | 'any';
}

export type FaultAction =
  /** An error response with an HTML body (a client must not store it as file content). */
  | { type: 'status'; status: number; retryAfter?: string; body?: string; headers?: Record<string, string> }
  /** Headers and `afterBytes` body bytes, then the socket is destroyed (RST when `rst`). */
  | { type: 'reset'; afterBytes: number; rst?: boolean }
  /** `afterBytes` body bytes, then silence for `ms` (forever if unset) with the socket open, then the rest. */
  | { type: 'stall'; afterBytes: number; ms?: number }
  /** Full Content-Length announced, `bytes` body bytes sent, then a clean FIN (premature close). */
  | { type: 'short'; bytes: number }
  /**
   * `extra` bytes more than announced. By default they are written raw after the complete response; with
   * `inContentLength` the Content-Length includes them while Content-Range does not.
   */
  | { type: 'long'; extra: number; inContentLength?: boolean }
  /** 206 whose Content-Range (and body) start `shift` bytes away from what was asked. */
  | { type: 'wrong-content-range'; shift: number }
  /** 206 for at most `max` bytes of what was asked, with an unknown total: `Content-Range: bytes a-b/*`. */
  | { type: 'unknown-total'; max: number }
  /** 200 with the full body to a range request. */
  | { type: 'ignore-range' }
  | { type: 'redirect'; location: string; status?: RedirectStatus }
  /** Bump the file's version (new content, ETag, Last-Modified) before answering; other faults still apply. */
  | { type: 'change-version' }
  /**
   * This response crawls at `bytesPerSecond` instead of the file's `throttle`: a straggler connection among
   * fast peers (pick it with `attempts` and/or `rangeStart`, e.g. the first range not starting at 0).
   */
  | { type: 'throttle'; bytesPerSecond: number };

export type Fault = FaultWhen & FaultAction;

export type BodyFault = Extract<Fault, { type: 'reset' | 'stall' | 'short' | 'long' }>;

export interface FaultSelection {
  /** The fault that shapes this response, if any (first in spec order wins). */
  fault: Fault | undefined;
  changeVersion: boolean;
}

/** What the server knows about a request when it picks faults. */
export interface FaultContext {
  method: 'GET' | 'HEAD';
  /** Start of the satisfiable single range requested, undefined for non-range requests. */
  rangeStart: number | undefined;
}

function passesFilters(fault: Fault, ctx: FaultContext): boolean {
  const method = fault.method ?? 'GET';
  if (method !== 'any' && method !== ctx.method) return false;
  const want = fault.rangeStart;
  if (want === undefined) return true;
  if (ctx.rangeStart === undefined) return false;
  if (want === 'range') return true;
  if (want === 'nonzero') return ctx.rangeStart !== 0;
  return ctx.rangeStart === want;
}

function appliesTo(fault: Fault, hit: number): boolean {
  if (fault.attempts !== undefined && fault.attempts.includes(hit)) return true;
  if (fault.firstN !== undefined && hit <= fault.firstN) return true;
  return fault.attempts === undefined && fault.firstN === undefined;
}

/**
 * Counts this request against every fault whose filters it passes (mutating `hits`, one slot per fault)
 * and returns what applies.
 */
export function selectFaults(faults: readonly Fault[], hits: number[], ctx: FaultContext): FaultSelection {
  let fault: Fault | undefined;
  let changeVersion = false;
  faults.forEach((candidate, index) => {
    if (!passesFilters(candidate, ctx)) return;
    const hit = (hits[index] ?? 0) + 1;
    hits[index] = hit;
    if (!appliesTo(candidate, hit)) return;
    if (candidate.type === 'change-version') changeVersion = true;
    else if (fault === undefined && (ctx.method === 'GET' || !isGetOnly(candidate))) fault = candidate;
  });
  return { fault, changeVersion };
}

function isGetOnly(fault: Fault): boolean {
  return fault.type !== 'status' && fault.type !== 'redirect';
}

export function isBodyFault(fault: Fault | undefined): fault is BodyFault {
  return fault !== undefined && (fault.type === 'reset' || fault.type === 'stall' || fault.type === 'short' || fault.type === 'long');
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The small HTML error page a real server would send; deliberately not file content. */
export function errorPage(status: number): string {
  const text = STATUS_TEXT[status] ?? 'Error';
  return `<!doctype html>\n<html><head><title>${status} ${text}</title></head><body><h1>${status} ${text}</h1></body></html>\n`;
}
