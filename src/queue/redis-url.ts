/**
 * `--queue redis://host:port/db` (or `rediss://` for TLS): the connection, with credentials taken from the
 * environment so they never sit in a job file, a shell history or `ps`. PDL_REDIS_PASSWORD (and PDL_REDIS_USERNAME)
 * win over a password written in the URL; whatever the source, every message shows the URL with it masked.
 */
import type { RedisOptions } from 'ioredis';
import { UsageError } from '../errors.js';

export interface QueueTarget {
  /** For messages: the URL with any password replaced by ***. */
  display: string;
  options: RedisOptions;
}

export function parseQueueUrl(text: string, env: Record<string, string | undefined>): QueueTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--queue: expected redis://host:port/db or rediss://…, got "${redact(text)}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`--queue: expected a redis:// or rediss:// URL, got "${redact(text)}"`);
  }
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) throw new UsageError(`--queue: expected a database number after the host, got "/${dbText}"`);
  const password = env['PDL_REDIS_PASSWORD'] ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  const username = env['PDL_REDIS_USERNAME'] ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const options: RedisOptions = {
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    db: dbText === '' ? 0 : Number(dbText),
    ...(password !== undefined ? { password } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
  };
  return { display: redact(text), options };
}

/** The URL with its password (if any) masked, also when the text does not parse as a URL. */
export function redact(text: string): string {
  const masked = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_match, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon === -1 ? '***' : `${auth.slice(0, colon)}:***`}@`;
  });
  // Not URL-shaped, yet it may carry credentials: everything before the last '@' could be one.
  return masked === text && text.includes('@') ? `***${text.slice(text.lastIndexOf('@'))}` : masked;
}
