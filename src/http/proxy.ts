/**
 * Proxy settings as the engine takes them: plain values, read from the environment by the CLI (or set by a library
 * user), never by the engine itself.
 */

export interface ProxySettings {
  /** Proxy for http:// URLs, e.g. `http://proxy.corp:3128` (user:password@ allowed). */
  httpProxy?: string | undefined;
  /** Proxy for https:// URLs; when unset, https:// URLs use `httpProxy` too (as curl's and undici's fallback). */
  httpsProxy?: string | undefined;
  /** Hosts reached directly: comma- or space-separated names, `.suffix`/`*.suffix`, optional `:port`, or `*`. */
  noProxy?: string | undefined;
}

export const PROXY_PROTOCOLS = ['http:', 'https:'] as const;

export function usesProxy(settings: ProxySettings | undefined): settings is ProxySettings {
  return Boolean(settings?.httpProxy || settings?.httpsProxy);
}

/** A proxy URL fit for a message: any user name and password replaced, whatever else is wrong with it. */
export function redactProxyUrl(text: string): string {
  // Everything up to the last '@' may be credentials, also in text that is not a valid URL (a '/' in a password).
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, (_, scheme: string | undefined) => `${scheme ?? ''}***@`);
}
