/**
 * Validated job input → ResolvedJob: defaults applied, units parsed, ${VAR}s expanded, URLs and headers
 * checked after expansion, output paths made absolute and checked. Pure: the environment, the job
 * folder and the --dir override come in as options. Problems come back as path-addressed issues (all
 * of them, not the first) so the loader can give each a line and column.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Checksum, ChecksumAlgorithm, ChecksumListRef, ResolvedFile, ResolvedJob, ResolvedLimits } from './resolved.js';
import { resolveRemoteAccess } from './remote-access.js';
import { describeReferences, expandEnv, type Env, type Expansion } from './env.js';
import { checkRelativePath, fileNameFromUrl, findPathConflicts, outputPath, type PathCheck } from './paths.js';
import { HEADER_VALUE_PATTERN, JOB_DEFAULTS, LIMIT_DEFAULTS } from './rules.js';
import { describeValue } from './said.js';
import type { DefaultsInput, FileEntryInput, LimitsInput } from './schema.js';
import type { PathIssue } from './suggest.js';
import { parseDuration, parseRate, parseSize } from './units.js';

export interface ResolveOptions {
  /** The job file's folder: `defaults.dir` is relative to it. */
  baseDir: string;
  env: Env;
  /** Output folder that replaces `defaults.dir` (the CLI's --dir), absolute or relative to the process cwd. */
  dir?: string;
  /** Absolute path of the job file, copied to ResolvedJob.source. */
  source?: string;
  /** false: URLs and header values are taken literally, e.g. typed in a shell that already expanded them. */
  expandEnv?: boolean;
}

/** Validated job input. `undefined` entries failed validation (already reported) and are skipped. */
export interface JobSpec {
  defaults?: DefaultsInput | undefined;
  limits?: LimitsInput | undefined;
  cache?: string | undefined;
  files: ReadonlyArray<FileEntryInput | undefined>;
}

export type ResolveOutcome = { ok: true; job: ResolvedJob } | { ok: false; issues: PathIssue[] };

type Path = (string | number)[];
interface Header { name: string; value: string; secrets: string[] }

export function resolveJob(spec: JobSpec, options: ResolveOptions): ResolveOutcome {
  const issues: PathIssue[] = [];
  const expand = (text: string): Expansion =>
    options.expandEnv === false ? { value: text, names: [], secrets: [], problems: [] } : expandEnv(text, options.env);
  const defaults = spec.defaults ?? {};
  const dir = options.dir !== undefined ? resolve(options.dir) : resolve(options.baseDir, defaults.dir ?? JOB_DEFAULTS.dir);
  const defaultHeaders = resolveHeaders(defaults.headers ?? {}, ['defaults', 'headers'], expand, issues);

  const files: ResolvedFile[] = [];
  const locations = new Map<number, Path>();
  const accessContext = { env: options.env, baseDir: options.baseDir, home: options.env.HOME || homedir() };
  // Most files take their size and timeout from `defaults`: each written value is parsed once per job.
  const size = memo(parseSize);
  const duration = memo(parseDuration);
  spec.files.forEach((entry, index) => {
    if (entry === undefined) return;
    const file = typeof entry === 'string' ? { url: entry } : entry;
    const base: Path = ['files', index];
    const written = file.urls ?? [file.url ?? ''];
    const urlPath = typeof entry === 'string' ? base : file.urls ? [...base, 'urls', 0] : [...base, 'url'];
    const url = resolveUrl(written[0]!, urlPath, expand, issues, SOURCE_SCHEMES);
    const access = url === undefined ? undefined : resolveRemoteAccess(url.parsed.protocol, defaults, file, base, accessContext, issues);
    // ${VAR}s, schemes and credentials are checked in every mirror; the first one names the file. A mirror's scheme is
    // http(s) or the first URL's own (its `ssh:`/`ftp:` settings are the file's).
    const mirrorSchemes = url === undefined ? SOURCE_SCHEMES : schemesBeside(url.parsed.protocol);
    const mirrorWhy = () => `beside a first URL of ${url?.parsed.protocol.slice(0, -1) ?? 'http'}, a mirror is http, https or of that scheme`;
    const others = written.length === 1 ? [] : written.slice(1).map((text, i) => resolveUrl(text, [...base, 'urls', i + 1], expand, issues, mirrorSchemes, mirrorWhy()));
    const mirrors = others.flatMap((m) => (m ? [{ url: m.parsed.href, displayUrl: m.display }] : []));
    // Read only from here on: a file without headers of its own shares the defaults' map.
    const headers = file.headers === undefined ? defaultHeaders : new Map(defaultHeaders);
    if (file.headers !== undefined) for (const [key, header] of resolveHeaders(file.headers, [...base, 'headers'], expand, issues)) headers.set(key, header);
    const list = file.checksum === undefined ? undefined : resolveChecksumList(file.checksum, [...base, 'checksum'], expand, issues);
    const secrets = secretsOf(url, others, list, access, headers);

    let named: PathCheck | undefined;
    let pathAt = urlPath;
    if (file.path !== undefined) {
      pathAt = [...base, 'path'];
      named = checkRelativePath(file.path);
      if (!named.ok) {
        issues.push({ path: pathAt, message: `expected a relative path inside \`dir\`, got ${describeValue(file.path)} (${named.reason})` });
      }
    } else if (url !== undefined) {
      named = fileNameFromUrl(url.parsed, secrets);
      if (!named.ok) issues.push({ path: pathAt, message: named.reason });
    }
    const relPath = named?.ok ? named.path : undefined;
    const absolute = relPath === undefined ? undefined : outputPath(dir, relPath);
    if (relPath !== undefined && absolute === undefined) {
      issues.push({ path: pathAt, message: `${JSON.stringify(relPath)} resolves outside \`dir\`` });
    }
    if (url === undefined || relPath === undefined || absolute === undefined) return;

    locations.set(index, pathAt);
    files.push({
      index,
      url: url.parsed.href,
      displayUrl: url.display,
      path: absolute,
      relPath,
      priority: file.priority ?? 0,
      connections: file.connections ?? defaults.connections ?? JOB_DEFAULTS.connections,
      minSplitSize: size(file.minSplitSize ?? defaults.minSplitSize ?? JOB_DEFAULTS.minSplitSize),
      retries: file.retries ?? defaults.retries ?? JOB_DEFAULTS.retries,
      timeout: duration(file.timeout ?? defaults.timeout ?? JOB_DEFAULTS.timeout),
      headers: headers.size === 0 ? {} : Object.fromEntries([...headers.values()].map((header) => [header.name, header.value])),
      secrets,
      ifExists: file.ifExists ?? defaults.ifExists ?? JOB_DEFAULTS.ifExists,
      checksum: file.checksum === undefined || list !== undefined ? undefined : parseChecksum(file.checksum),
      ...(list ? { checksumList: list.ref } : {}),
      ...(access?.settings ?? {}),
      ...(mirrors.length > 0 ? { mirrors } : {}),
    });
  });

  for (const conflict of findPathConflicts(files)) {
    issues.push({ path: locations.get(conflict.index) ?? ['files', conflict.index], message: conflict.message });
  }
  if (issues.length > 0) return { ok: false, issues };
  const cache = spec.cache === undefined ? {} : { cache: resolve(options.baseDir, spec.cache) };
  return { ok: true, job: { source: options.source, dir, limits: resolveLimits(spec.limits ?? {}), files, ...cache } };
}

function resolveLimits(limits: LimitsInput): ResolvedLimits {
  return {
    files: limits.files ?? LIMIT_DEFAULTS.files,
    connections: limits.connections ?? LIMIT_DEFAULTS.connections,
    perHost: limits.perHost ?? LIMIT_DEFAULTS.perHost,
    rate: parseRate(limits.rate ?? LIMIT_DEFAULTS.rate),
  };
}

/** What a file may be fetched over; checksum lists are fetched over HTTP only. */
const SOURCE_SCHEMES = ['http:', 'https:', 'sftp:', 'ftp:', 'ftps:'] as const;

/** Schemes a mirror may use beside a first URL of `protocol`: http(s), and the first one's own family. */
function schemesBeside(protocol: string): readonly string[] {
  if (protocol === 'sftp:') return ['http:', 'https:', 'sftp:'];
  if (protocol === 'ftp:' || protocol === 'ftps:') return ['http:', 'https:', 'ftp:', 'ftps:'];
  return ['http:', 'https:'];
}
const HTTP_SCHEMES = ['http:', 'https:'] as const;

function resolveUrl(
  written: string,
  path: Path,
  expand: (text: string) => Expansion,
  issues: PathIssue[],
  schemes: readonly string[] = HTTP_SCHEMES,
  why?: string,
): { parsed: URL; display: string; secrets: string[] } | undefined {
  const fail = (message: string) => void issues.push({ path, message });
  const expanded = expand(written);
  if (expanded.problems.length > 0) return void expanded.problems.forEach(fail);
  const display = maskUserinfo(written);
  // Name the variables, never show what they expanded to.
  const after = expanded.names.length > 0 ? ` after expanding ${describeReferences(expanded.names)}` : '';
  if (/[\0-\x1f\x7f]/.test(expanded.value)) return fail(`the URL contains a control character${after}`);
  let parsed: URL;
  try {
    parsed = new URL(expanded.value);
  } catch {
    return fail(after ? `the URL is not valid${after}` : `expected an absolute URL, got ${describeValue(display)}`);
  }
  if (!schemes.includes(parsed.protocol)) {
    const which = why ?? (schemes.length === HTTP_SCHEMES.length ? 'checksum lists are fetched over http and https only' : 'pdl downloads http, https, sftp, ftp and ftps URLs');
    return fail(`unsupported scheme ${parsed.protocol.slice(0, -1)}: ${which}`);
  }
  const remote = parsed.protocol === 'sftp:' || parsed.protocol === 'ftp:' || parsed.protocol === 'ftps:';
  if (remote && parsed.password !== '') {
    const block = parsed.protocol === 'sftp:' ? 'ssh' : 'ftp';
    return fail(`a password in the URL is not allowed${after} (it would show in logs); give it as \`${block}: { password: "\${VARIABLE}" }\``);
  }
  if (parsed.protocol === 'sftp:' && parsed.username === '') return fail(`expected sftp://user@host/path (the user name is required)${after}`);
  if (remote && (parsed.pathname === '' || parsed.pathname === '/' || parsed.pathname.endsWith('/'))) return fail(`expected a path to a file after the host${after}`);
  if (!remote && (parsed.username !== '' || parsed.password !== '')) {
    const hint = 'send them in a header instead, e.g. `Authorization: "Basic ${CREDENTIALS}"`';
    return fail(`credentials in the URL are not allowed${after} (they would show in logs); ${hint}`);
  }
  return { parsed, display, secrets: expanded.secrets };
}

/** Headers keyed by lower-case name; checks values again after expansion, without showing them. */
function resolveHeaders(
  headers: Record<string, string>,
  path: Path,
  expand: (text: string) => Expansion,
  issues: PathIssue[],
): Map<string, Header> {
  const out = new Map<string, Header>();
  for (const [name, written] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const at: Path = [...path, name];
    const earlier = out.get(key);
    if (earlier) {
      const message = `duplicate header \`${name}\` (same as \`${earlier.name}\`; header names are case-insensitive)`;
      issues.push({ path: at, at: 'key', message });
      continue;
    }
    const expanded = expand(written);
    expanded.problems.forEach((message) => issues.push({ path: at, message }));
    if (expanded.problems.length > 0) continue;
    const after = expanded.names.length > 0 ? ` after expanding ${describeReferences(expanded.names)}` : '';
    if (/[\r\n\0]/.test(expanded.value)) issues.push({ path: at, message: `the header value contains CR, LF or NUL${after}` });
    else if (!HEADER_VALUE_PATTERN.test(expanded.value)) {
      issues.push({ path: at, message: `the header value contains characters HTTP does not allow${after}` });
    }
    out.set(key, { name, value: expanded.value, secrets: expanded.secrets });
  }
  return out;
}

/** `sha256:file:<url>` → the list's URL, checked like `url:`; undefined for a plain `<algorithm>:<hex>`. */
function resolveChecksumList(
  text: string,
  path: Path,
  expand: (text: string) => Expansion,
  issues: PathIssue[],
): { ref: ChecksumListRef; secrets: string[] } | undefined {
  const match = /^(sha256|sha512):file:(.+)$/.exec(text);
  if (!match) return undefined;
  const url = resolveUrl(match[2]!, path, expand, issues);
  // Still a list: an unusable URL was reported above and must not turn into a plain digest.
  const ref = { algorithm: match[1] as ChecksumListRef['algorithm'], url: url?.parsed.href ?? '', displayUrl: url?.display ?? '' };
  return { ref, secrets: url?.secrets ?? [] };
}

function parseChecksum(text: string): Checksum {
  const colon = text.indexOf(':');
  const hex = text.slice(colon + 1);
  // Generated job files write lower case: no copy for them.
  return { algorithm: text.slice(0, colon) as ChecksumAlgorithm, hex: /[A-F]/.test(hex) ? hex.toLowerCase() : hex };
}

/** `https://user:pw@host/` → `https://***@host/`, on the text as written (it may not parse before expansion). */
export function maskUserinfo(url: string): string {
  if (!url.includes('@')) return url;
  // An SSH or FTP user name is an account name, not a credential, and the URL needs it to be understood.
  if (/^(sftp|ftps?):\/\/[^/?#:@]*@/i.test(url)) return url;
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');
}

/** `parse`, remembering its answer for each input (the inputs passed the schema: parse does not throw). */
function memo<T extends string | number>(parse: (input: T) => number): (input: T) => number {
  const known = new Map<T, number>();
  return (input) => {
    let value = known.get(input);
    if (value === undefined) known.set(input, (value = parse(input)));
    return value;
  };
}

/** Every spelling of every expanded secret the file's settings hold; most files hold none, and get a shared []. */
function secretsOf(...holders: (readonly ({ secrets: readonly string[] } | undefined)[] | { secrets: readonly string[] } | Map<string, Header> | undefined)[]): readonly string[] {
  const written: string[] = [];
  for (const holder of holders) {
    if (holder === undefined) continue;
    const items = holder instanceof Map ? holder.values() : Array.isArray(holder) ? holder : [holder];
    for (const item of items) if (item !== undefined && item.secrets.length > 0) written.push(...item.secrets);
  }
  return written.length === 0 ? NO_SECRETS : [...new Set(written.flatMap(spellings))];
}
const NO_SECRETS: readonly string[] = Object.freeze([]);

/**
 * A secret as it may show up in text pdl did not write itself: URLs are normalised (lower-case host,
 * percent-encoding) before they reach error messages from the network stack.
 */
function spellings(secret: string): string[] {
  const forms = [secret, secret.toLowerCase()];
  try {
    forms.push(encodeURI(secret), encodeURIComponent(secret));
  } catch {
    // A lone surrogate cannot be encoded; then it cannot appear encoded either.
  }
  return forms;
}
