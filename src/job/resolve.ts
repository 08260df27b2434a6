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
import { describeReferences, expandEnv, type Env } from './env.js';
import { isProblems, resolveUrl, schemesBeside, SOURCE_SCHEMES, type Expand, type ResolvedUrl } from './resolve-url.js';
import { checkRelativePath, fileNameFromUrl, findPathConflicts, outputPath, type PathCheck } from './paths.js';
import { HEADER_VALUE_PATTERN, JOB_DEFAULTS, LIMIT_DEFAULTS } from './rules.js';
import { describeValue } from './said.js';
import type { DefaultsInput, FileEntryInput, FileInput, LimitsInput } from './schema.js';
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
interface Header { name: string; value: string; secrets: readonly string[] }

export function resolveJob(spec: JobSpec, options: ResolveOptions): ResolveOutcome {
  const issues: PathIssue[] = [];
  // Text without `${` expands to itself: most URLs of a big job are taken as they are, with nothing to mask.
  const expand: Expand = (text) =>
    !text.includes('${') ? { value: text, names: NONE, secrets: NONE, problems: NONE }
    : options.expandEnv === false ? { value: text, names: [], secrets: [], problems: [] } : expandEnv(text, options.env);
  const defaults = spec.defaults ?? {};
  const dir = options.dir !== undefined ? resolve(options.dir) : resolve(options.baseDir, defaults.dir ?? JOB_DEFAULTS.dir);
  const defaultHeaders = resolveHeaders(defaults.headers ?? {}, ['defaults', 'headers'], expand, issues);

  const files: ResolvedFile[] = [];
  const accessContext = { env: options.env, baseDir: options.baseDir, home: options.env.HOME || homedir() };
  // Most files take their size and timeout from `defaults`: each written value is parsed once per job.
  const size = memo(parseSize);
  const duration = memo(parseDuration);
  // A plain loop: a hole in a sparse list is skipped like an `undefined` entry, as forEach would.
  for (let index = 0; index < spec.files.length; index++) {
    const entry = spec.files[index];
    if (entry === undefined) continue;
    const file = typeof entry === 'string' ? { url: entry } : entry;
    // Issue paths (['files', index, …]) are built only for an issue, and no closure per file: a big job has thousands of
    // files and no issue.
    const urls = file.urls;
    const first = resolveUrl(urls ? urls[0]! : file.url ?? '', expand, SOURCE_SCHEMES);
    const url = isProblems(first) ? report(first, urlPathOf(entry, index), issues) : first;
    const access = url === undefined || !needsAccess(url.protocol, file) ? undefined
      : resolveRemoteAccess(url.protocol, defaults, file, ['files', index], accessContext, issues);
    const others = urls && urls.length !== 1 ? resolveMirrors(urls, url, index, expand, issues) : NO_MIRRORS;
    // Read only from here on: a file without headers of its own shares the defaults' map.
    const headers = file.headers === undefined ? defaultHeaders : new Map(defaultHeaders);
    if (file.headers !== undefined) for (const [key, header] of resolveHeaders(file.headers, ['files', index, 'headers'], expand, issues)) headers.set(key, header);
    const list = file.checksum === undefined ? undefined : resolveChecksumList(file.checksum, index, expand, issues);
    const secrets = secretsOf(url, others, list, access, headers);

    let named: PathCheck | undefined;
    if (file.path !== undefined) {
      named = checkRelativePath(file.path);
      if (!named.ok) {
        issues.push({ path: namedAt(entry, index), message: `expected a relative path inside \`dir\`, got ${describeValue(file.path)} (${named.reason})` });
      }
    } else if (url !== undefined) {
      named = fileNameFromUrl(url.parsed, secrets);
      if (!named.ok) issues.push({ path: namedAt(entry, index), message: named.reason });
    }
    const relPath = named?.ok ? named.path : undefined;
    const absolute = relPath === undefined ? undefined : outputPath(dir, relPath);
    if (relPath !== undefined && absolute === undefined) {
      issues.push({ path: namedAt(entry, index), message: `${JSON.stringify(relPath)} resolves outside \`dir\`` });
    }
    if (url === undefined || relPath === undefined || absolute === undefined) continue;

    const resolved: ResolvedFile = {
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
    };
    const mirrors = others.length === 0 ? undefined : others.flatMap((m) => (m ? [{ url: m.parsed.href, displayUrl: m.display }] : []));
    // The optional fields in a copy, only for the files that have any: the same keys in the same order.
    files.push(list === undefined && access === undefined && !mirrors?.length ? resolved : {
      ...resolved,
      ...(list ? { checksumList: list.ref } : {}),
      ...(access?.settings ?? {}),
      ...(mirrors?.length ? { mirrors } : {}),
    });
  }

  for (const conflict of findPathConflicts(files)) {
    // Only files that resolved take part, and each of them is an entry of spec.files.
    const entry = spec.files[conflict.index];
    issues.push({ path: entry === undefined ? ['files', conflict.index] : namedAt(entry, conflict.index), message: conflict.message });
  }
  if (issues.length > 0) return { ok: false, issues };
  const cache = spec.cache === undefined ? {} : { cache: resolve(options.baseDir, spec.cache) };
  return { ok: true, job: { source: options.source, dir, limits: resolveLimits(spec.limits ?? {}), files, ...cache } };
}

const NONE: readonly string[] = Object.freeze([]);
const NO_MIRRORS: readonly undefined[] = Object.freeze([]);

/** Where an entry's (first) URL was written: the entry itself, `url:` or `urls[0]`. */
function urlPathOf(entry: FileEntryInput, index: number): Path {
  return typeof entry === 'string' ? ['files', index] : entry.urls ? ['files', index, 'urls', 0] : ['files', index, 'url'];
}

/** Where an entry's output path comes from: `path:`, else its URL. */
function namedAt(entry: FileEntryInput, index: number): Path {
  return typeof entry !== 'string' && entry.path !== undefined ? ['files', index, 'path'] : urlPathOf(entry, index);
}

/**
 * Whether resolveRemoteAccess has anything to do: settings for sftp and ftp(s), and a complaint about `ssh:` or `ftp:`
 * beside another scheme. For anything else it would answer no settings, no secrets, no issue.
 */
function needsAccess(protocol: string, file: FileInput | { url: string }): boolean {
  const own = file as FileInput;
  return (protocol !== 'http:' && protocol !== 'https:') || own.ssh !== undefined || own.ftp !== undefined;
}

/**
 * ${VAR}s, schemes and credentials are checked in every mirror; the first one names the file. A mirror's scheme is
 * http(s) or the first URL's own (its `ssh:`/`ftp:` settings are the file's).
 */
function resolveMirrors(urls: readonly string[], url: ResolvedUrl | undefined, index: number, expand: Expand, issues: PathIssue[]): (ResolvedUrl | undefined)[] {
  const mirrorSchemes = url === undefined ? SOURCE_SCHEMES : schemesBeside(url.protocol);
  const mirrorWhy = () => `beside a first URL of ${url?.protocol.slice(0, -1) ?? 'http'}, a mirror is http, https or of that scheme`;
  return urls.slice(1).map((text, i) => {
    const mirror = resolveUrl(text, expand, mirrorSchemes, mirrorWhy());
    return isProblems(mirror) ? report(mirror, ['files', index, 'urls', i + 1], issues) : mirror;
  });
}

/** A URL's problems as issues at `path`; undefined, for the URL that is not. */
function report(problems: readonly string[], path: Path, issues: PathIssue[]): undefined {
  for (const message of problems) issues.push({ path, message });
  return undefined;
}

function resolveLimits(limits: LimitsInput): ResolvedLimits {
  return {
    files: limits.files ?? LIMIT_DEFAULTS.files,
    connections: limits.connections ?? LIMIT_DEFAULTS.connections,
    perHost: limits.perHost ?? LIMIT_DEFAULTS.perHost,
    rate: parseRate(limits.rate ?? LIMIT_DEFAULTS.rate),
  };
}

/** Headers keyed by lower-case name; checks values again after expansion, without showing them. */
function resolveHeaders(
  headers: Record<string, string>,
  path: Path,
  expand: Expand,
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
    if (CR_LF_NUL.test(expanded.value)) issues.push({ path: at, message: `the header value contains CR, LF or NUL${after}` });
    else if (!HEADER_VALUE_PATTERN.test(expanded.value)) {
      issues.push({ path: at, message: `the header value contains characters HTTP does not allow${after}` });
    }
    out.set(key, { name, value: expanded.value, secrets: expanded.secrets });
  }
  return out;
}
const CR_LF_NUL = /[\r\n\0]/;

/** `sha256:file:<url>` → the list's URL, checked like `url:`; undefined for a plain `<algorithm>:<hex>`. */
function resolveChecksumList(
  text: string,
  index: number,
  expand: Expand,
  issues: PathIssue[],
): { ref: ChecksumListRef; secrets: readonly string[] } | undefined {
  // Both algorithms have six letters: a plain digest, what nearly every checksum is, is told apart without the pattern.
  if (!text.startsWith(':file:', 6)) return undefined;
  const match = CHECKSUM_LIST.exec(text);
  if (!match) return undefined;
  const outcome = resolveUrl(match[2]!, expand);
  const url = isProblems(outcome) ? report(outcome, ['files', index, 'checksum'], issues) : outcome;
  // Still a list: an unusable URL was reported above and must not turn into a plain digest.
  const ref = { algorithm: match[1] as ChecksumListRef['algorithm'], url: url?.parsed.href ?? '', displayUrl: url?.display ?? '' };
  return { ref, secrets: url?.secrets ?? NONE };
}
const CHECKSUM_LIST = /^(sha256|sha512):file:(.+)$/;

function parseChecksum(text: string): Checksum {
  const colon = text.indexOf(':');
  const hex = text.slice(colon + 1);
  // Generated job files write lower case: no copy for them.
  return { algorithm: text.slice(0, colon) as ChecksumAlgorithm, hex: UPPER_HEX.test(hex) ? hex.toLowerCase() : hex };
}
const UPPER_HEX = /[A-F]/;

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
function secretsOf(
  url: ResolvedUrl | undefined,
  others: readonly (ResolvedUrl | undefined)[],
  list: Secretive | undefined,
  access: Secretive | undefined,
  headers: Map<string, Header>,
): readonly string[] {
  const written: string[] = [];
  for (const holder of [url, ...others, list, access, ...headers.values()]) if (holder) written.push(...holder.secrets);
  return written.length === 0 ? NONE : [...new Set(written.flatMap(spellings))];
}
type Secretive = { secrets: readonly string[] };

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
