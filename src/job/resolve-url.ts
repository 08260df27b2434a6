/**
 * One URL of a job (a file's, a mirror's, a checksum list's) checked after ${VAR} expansion: it parses, pdl may fetch
 * it over its scheme, and it carries no credential that would show in logs. The answer is the URL, or what is wrong
 * with it, which the caller reports where the URL was written.
 */
import { describeReferences } from './env.js';
import { describeValue } from './said.js';

/** An Expansion that may share frozen empty lists: read only. */
export type Expand = (text: string) => { value: string; names: readonly string[]; secrets: readonly string[]; problems: readonly string[] };
/** A URL that passed resolveUrl; `protocol` is `parsed.protocol`, read once. */
export interface ResolvedUrl { parsed: URL; protocol: string; display: string; secrets: readonly string[] }

/** What a file may be fetched over; checksum lists are fetched over HTTP only. */
export const SOURCE_SCHEMES = ['http:', 'https:', 'sftp:', 'ftp:', 'ftps:'] as const;

/** Schemes a mirror may use beside a first URL of `protocol`: http(s), and the first one's own family. */
export function schemesBeside(protocol: string): readonly string[] {
  if (protocol === 'sftp:') return ['http:', 'https:', 'sftp:'];
  if (protocol === 'ftp:' || protocol === 'ftps:') return ['http:', 'https:', 'ftp:', 'ftps:'];
  return ['http:', 'https:'];
}
const HTTP_SCHEMES = ['http:', 'https:'] as const;

/** The URL checked after expansion, or what is wrong with it (one sentence each, at least one). */
export function resolveUrl(written: string, expand: Expand, schemes: readonly string[] = HTTP_SCHEMES, why?: string): ResolvedUrl | readonly string[] {
  const expanded = expand(written);
  if (expanded.problems.length > 0) return expanded.problems;
  const display = maskUserinfo(written);
  // Name the variables, never show what they expanded to.
  const after = expanded.names.length > 0 ? ` after expanding ${describeReferences(expanded.names)}` : '';
  if (CONTROL.test(expanded.value)) return [`the URL contains a control character${after}`];
  let parsed: URL;
  try {
    parsed = new URL(expanded.value);
  } catch {
    return [after ? `the URL is not valid${after}` : `expected an absolute URL, got ${describeValue(display)}`];
  }
  const protocol = parsed.protocol;
  if (!schemes.includes(protocol)) {
    const which = why ?? (schemes.length === HTTP_SCHEMES.length ? 'checksum lists are fetched over http and https only' : 'pdl downloads http, https, sftp, ftp and ftps URLs');
    return [`unsupported scheme ${protocol.slice(0, -1)}: ${which}`];
  }
  const remote = protocol === 'sftp:' || protocol === 'ftp:' || protocol === 'ftps:';
  if (remote && parsed.password !== '') {
    const block = protocol === 'sftp:' ? 'ssh' : 'ftp';
    return [`a password in the URL is not allowed${after} (it would show in logs); give it as \`${block}: { password: "\${VARIABLE}" }\``];
  }
  if (protocol === 'sftp:' && parsed.username === '') return [`expected sftp://user@host/path (the user name is required)${after}`];
  if (remote && (parsed.pathname === '' || parsed.pathname === '/' || parsed.pathname.endsWith('/'))) return [`expected a path to a file after the host${after}`];
  if (!remote && (parsed.username !== '' || parsed.password !== '')) {
    const hint = 'send them in a header instead, e.g. `Authorization: "Basic ${CREDENTIALS}"`';
    return [`credentials in the URL are not allowed${after} (they would show in logs); ${hint}`];
  }
  return { parsed, protocol, display, secrets: expanded.secrets };
}
const CONTROL = /[\0-\x1f\x7f]/;

export function isProblems(outcome: ResolvedUrl | readonly string[]): outcome is readonly string[] {
  return Array.isArray(outcome);
}

/** `https://user:pw@host/` → `https://***@host/`, on the text as written (it may not parse before expansion). */
export function maskUserinfo(url: string): string {
  if (!url.includes('@')) return url;
  // An SSH or FTP user name is an account name, not a credential, and the URL needs it to be understood.
  if (/^(sftp|ftps?):\/\/[^/?#:@]*@/i.test(url)) return url;
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');
}
