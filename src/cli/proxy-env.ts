/**
 * The CLI's reading of the proxy environment, the conventional variables in both cases (lower case first, as curl
 * and undici read them). The engine gets plain settings; a malformed proxy URL is a usage error naming the variable,
 * with any credentials in it masked.
 */
import { UsageError } from '../errors.js';
import { PROXY_PROTOCOLS, redactProxyUrl, type ProxySettings } from '../http/proxy.js';

function read(env: Record<string, string | undefined>, name: string): { name: string; value: string } | undefined {
  for (const key of [name.toLowerCase(), name]) {
    const value = env[key]?.trim();
    if (value) return { name: key, value };
  }
  return undefined;
}

function proxyUrl(found: { name: string; value: string } | undefined): string | undefined {
  if (found === undefined) return undefined;
  let url: URL;
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(found.value)) throw new TypeError('no scheme');
    url = new URL(found.value);
  } catch {
    throw new UsageError(`${found.name}: expected a proxy URL such as http://proxy.example:3128, got "${redactProxyUrl(found.value)}"`);
  }
  if (!(PROXY_PROTOCOLS as readonly string[]).includes(url.protocol)) {
    throw new UsageError(
      `${found.name}: expected an http:// or https:// proxy URL, got "${redactProxyUrl(found.value)}" (${url.protocol.slice(0, -1)} proxies are not supported)`,
    );
  }
  return found.value;
}

/** `undefined` when no proxy is set: the common case keeps pdl's plain dispatcher. */
export function proxyFromEnv(env: Record<string, string | undefined>): ProxySettings | undefined {
  const httpProxy = proxyUrl(read(env, 'HTTP_PROXY'));
  const httpsProxy = proxyUrl(read(env, 'HTTPS_PROXY'));
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  return { httpProxy, httpsProxy, noProxy: read(env, 'NO_PROXY')?.value };
}
