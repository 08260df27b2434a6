/**
 * One GET with pdl's redirect rules. undici's own redirect handling strips only Authorization/Cookie on a
 * cross-origin hop; pdl drops EVERY header the user configured, refuses https → http, and detects loops.
 */
import type { Dispatcher } from 'undici';
import { request } from './agent.js';
import { RedirectError } from '../errors.js';
import { maskSecrets } from '../job/resolved.js';

export const MAX_REDIRECTS = 10;

export interface GetOptions {
  dispatcher: Dispatcher;
  url: string;
  /** The user's configured headers (sent only to the original origin). */
  userHeaders: Record<string, string>;
  /** Headers pdl manages (Range, If-Range, Accept-Encoding …), sent on every hop. */
  pdlHeaders: Record<string, string>;
  signal: AbortSignal;
  /** Secrets to mask in error messages. */
  secrets: readonly string[];
  method?: 'GET' | 'HEAD';
}

export interface GetResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** URL that finally answered. */
  finalUrl: string;
  /** True when a redirect left the original origin (user headers were dropped). */
  crossOrigin: boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export async function get(options: GetOptions): Promise<GetResponse> {
  const original = new URL(options.url);
  let current = original;
  const seen = new Set<string>([current.href]);
  // Once a hop leaves the original origin, user headers stay dropped, even if a later hop comes back.
  let leftOrigin = false;
  for (let hop = 0; ; hop++) {
    leftOrigin ||= current.origin !== original.origin;
    const sameOrigin = !leftOrigin;
    const headers = sameOrigin ? { ...options.userHeaders, ...options.pdlHeaders } : { ...options.pdlHeaders };
    const response = await request(options.dispatcher, {
      origin: current.origin,
      path: current.pathname + current.search,
      method: options.method ?? 'GET',
      headers,
      signal: options.signal,
    });
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.statusCode) || typeof location !== 'string') {
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        finalUrl: current.href,
        crossOrigin: !sameOrigin,
      };
    }
    // A redirect body is never data: drop it without reading it all.
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const shown = (url: URL) => maskSecrets(url.href, options.secrets);
    if (hop + 1 > MAX_REDIRECTS) {
      throw new RedirectError(`more than ${MAX_REDIRECTS} redirects, last to ${shown(current)}`, { url: shown(original) });
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch (error) {
      throw new RedirectError(`redirect to an invalid location from ${shown(current)}`, { url: shown(original), cause: error });
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new RedirectError(`refusing redirect to unsupported scheme ${next.protocol}`, { url: shown(original) });
    }
    if (current.protocol === 'https:' && next.protocol === 'http:') {
      throw new RedirectError(`refusing redirect from https to http (${shown(next)})`, { url: shown(original) });
    }
    if (next.username || next.password) {
      throw new RedirectError('refusing redirect to a URL with credentials', { url: shown(original) });
    }
    if (seen.has(next.href)) {
      throw new RedirectError(`redirect loop at ${shown(next)}`, { url: shown(original) });
    }
    seen.add(next.href);
    current = next;
  }
}
