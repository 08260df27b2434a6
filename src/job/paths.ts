/**
 * Output-path safety: every file lands inside the output folder, whatever the job file or the URL says.
 * Paths are checked as text first (portable rules, the same answer on every OS), then resolved and
 * checked again against the folder as a second line of defence.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { COMPANION_SUFFIXES, MAX_OUTPUT_NAME_BYTES, NAME_MAX_BYTES } from '../storage/companion-names.js';

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

const SUFFIXES: readonly string[] = Object.values(COMPANION_SUFFIXES);
const SUFFIX_LIST = SUFFIXES.join(', ');

/**
 * Check a relative output path and normalise it (`./a//b` → `a/b`). Rejected: empty, NUL or other control
 * characters, backslashes, drive letters, absolute paths, `..` segments, a trailing `/` or `.`, folder names over
 * 255 bytes, and a file name too long for pdl to add its companions' suffixes (`.part`, `.pdl`, …) to it. The reason reads after "got <path>": `(reason)`.
 */
export function checkRelativePath(text: string): PathCheck {
  if (isPlainPath(text)) return { ok: true, path: text };
  const fail = (reason: string): PathCheck => ({ ok: false, reason });
  if (text === '') return fail('it is empty');
  if (text.includes('\0')) return fail('it contains a NUL character');
  if (/[\x01-\x1f\x7f]/.test(text)) return fail('it contains a control character');
  if (text.includes('\\')) return fail('it contains a backslash; separate folders with /');
  if (/^[A-Za-z]:/.test(text)) return fail('it starts with a drive letter; give a path relative to `dir`');
  if (text.startsWith('/')) return fail('it is absolute; give a path relative to `dir`');
  if (text.endsWith('/')) return fail('it ends with /; name a file, not a folder');
  const segments = text.split('/');
  if (segments.includes('..')) return fail('it contains a `..` segment; paths must stay inside `dir`');
  if (segments.at(-1) === '.') return fail('it ends with /.; name a file, not a folder');
  const kept = segments.filter((segment) => segment !== '' && segment !== '.');
  if (kept.length === 0) return fail('it does not name a file');
  if (kept.slice(0, -1).some((segment) => Buffer.byteLength(segment) > NAME_MAX_BYTES)) {
    return fail(`a folder name in it is longer than ${NAME_MAX_BYTES} bytes`);
  }
  const nameBytes = Buffer.byteLength(kept.at(-1) ?? '');
  // The name itself would fit, but `<name>.part` and the other companion files could never be created (ENAMETOOLONG).
  if (nameBytes > MAX_OUTPUT_NAME_BYTES) {
    return fail(`its file name is ${nameBytes} bytes, longer than ${MAX_OUTPUT_NAME_BYTES} bytes: pdl adds ${SUFFIX_LIST} to it, and names stop at ${NAME_MAX_BYTES} bytes`);
  }
  return { ok: true, path: kept.join('/') };
}

/** Portable names (letters, digits, `.`, `_`, `-`) without empty, `.` or `..` segments, within the length limits. */
const PLAIN_PATH = /^[A-Za-z0-9_-][\w.-]*(?:\/[\w.-]+)*$/;

/** What checkRelativePath accepts unchanged, by one pattern: the paths of most big jobs. */
function isPlainPath(text: string): boolean {
  if (!PLAIN_PATH.test(text)) return false;
  // ASCII: one byte per character.
  let start = 0;
  for (;;) {
    const slash = text.indexOf('/', start);
    const end = slash === -1 ? text.length : slash;
    const length = end - start;
    if (length <= 2 && (text.slice(start, end) === '.' || text.slice(start, end) === '..')) return false;
    if (length > (slash === -1 ? MAX_OUTPUT_NAME_BYTES : NAME_MAX_BYTES)) return false;
    if (slash === -1) return true;
    start = slash + 1;
  }
}

/**
 * The file name a URL implies: its last path segment, percent-decoded, checked like a `path:`.
 * `secrets` are expanded ${VAR} values: a name built from one would print it everywhere, so it is refused.
 */
export function fileNameFromUrl(url: URL, secrets: readonly string[] = []): PathCheck {
  const addPath = (why: string): PathCheck => ({ ok: false, reason: `cannot derive a file name from the URL${why}; add \`path:\`` });
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  if (segment === '') return addPath('');
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return addPath(': its last segment is not valid percent-encoding');
  }
  if (secrets.some((secret) => secret !== '' && name.includes(secret))) {
    return addPath(': its last segment comes from an environment variable');
  }
  if (name.includes('/')) return addPath(`: its last segment decodes to ${JSON.stringify(name)}, which contains /`);
  if (name === '.' || name === '..') return addPath(`: its last segment decodes to ${JSON.stringify(name)}`);
  const checked = checkRelativePath(name);
  if (!checked.ok) return addPath(`: its last segment decodes to ${JSON.stringify(name)} and ${checked.reason.replace(/^it /, '')}`);
  return checked;
}

/** Absolute path of `relPath` inside `dir`, or undefined if it would resolve anywhere else. */
export function outputPath(dir: string, relPath: string): string | undefined {
  // A normalised absolute folder and a plain path: resolve() would only join them.
  if (sep === '/' && isPlainPath(relPath) && isNormalisedDir(dir)) return dir === '/' ? `/${relPath}` : `${dir}/${relPath}`;
  const absolute = resolve(dir, relPath);
  const back = relative(dir, absolute);
  if (back === '' || back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back)) return undefined;
  return absolute;
}

let lastNormalisedDir: string | undefined;

/** `dir` is absolute and resolve() leaves it as it is; remembered, as a job has one output folder. */
function isNormalisedDir(dir: string): boolean {
  if (dir === lastNormalisedDir) return true;
  if (!isAbsolute(dir) || resolve(dir) !== dir) return false;
  lastNormalisedDir = dir;
  return true;
}

export interface PathClaim {
  index: number;
  /** Normalised, as returned by checkRelativePath. */
  relPath: string;
}

export interface PathConflict {
  /** The later entry, which is the one reported. */
  index: number;
  message: string;
}

/**
 * Entries that would write the same file (compared case-insensitively, as on macOS and Windows), or a
 * file where another entry needs a folder (`a` and `a/b`). Each conflict names the earlier entry.
 */
export function findPathConflicts(claims: readonly PathClaim[]): PathConflict[] {
  const files = new Map<string, PathClaim>();
  const folders = new Map<string, PathClaim>();
  // The names `x` of the files listed as `x.part`, `x.pdl`, …: only for those is the other order looked up.
  const companionOf = new Set<string>();
  const conflicts: PathConflict[] = [];
  const show = (claim: PathClaim) => `files[${claim.index}] (${JSON.stringify(claim.relPath)})`;
  for (const claim of claims) {
    const key = claim.relPath.normalize('NFC').toLowerCase();
    // A folder in `folders` has all its ancestors there too, and no file at any of them (a file there would have
    // stopped the entry that registered it): a file in a known folder needs no walk up its path.
    const slash = key.lastIndexOf('/');
    const ancestors = slash === -1 || folders.has(key.slice(0, slash)) ? NO_FOLDERS : foldersOf(key);
    const same = files.get(key);
    // pdl writes `<path>.part`, `<path>.pdl`, … beside each file: another entry may not use those names.
    const suffix = companionSuffix(key);
    const workFile = suffix === undefined ? undefined : files.get(key.slice(0, -suffix.length));
    const usedAsFolder = folders.get(key);
    const blockingFile = firstFound(ancestors, (folder) => files.get(folder));
    let message: string | undefined;
    if (same) message = `same output path as ${show(same)}; paths are compared case-insensitively`;
    // Spelled out, not imported: job/ depends only on storage/companion-names.ts (mirror-state.ts MIRROR_STATE_NAME,
    // host-capacity-file.ts HOST_CAPACITY_FILE_NAME).
    else if (key === '.pdl-state.json') message = `${JSON.stringify(claim.relPath)} is the name of pdl's state file in the output folder`;
    else if (key === '.pdl-hosts.json') message = `${JSON.stringify(claim.relPath)} is the name of pdl's host capacity file in the output folder`;
    else if (key === '.pdl-run.lock') message = `${JSON.stringify(claim.relPath)} is the name of pdl's run lock in the output folder`;
    else if (workFile) message = `${JSON.stringify(claim.relPath)} is the name pdl uses for the partial download of ${show(workFile)}`;
    else if (usedAsFolder) message = `${JSON.stringify(claim.relPath)} is a folder of ${show(usedAsFolder)}; it cannot also be a file`;
    else if (blockingFile) message = `${JSON.stringify(claim.relPath)} needs a folder where ${show(blockingFile)} writes a file`;
    if (message !== undefined) {
      conflicts.push({ index: claim.index, message });
      continue;
    }
    files.set(key, claim);
    if (suffix !== undefined) companionOf.add(key.slice(0, -suffix.length));
    // The other order: `x.part` listed first, then `x`.
    if (companionOf.has(key)) {
      for (const other of SUFFIXES) {
        const earlier = files.get(key + other);
        if (earlier) conflicts.push({ index: claim.index, message: `${show(earlier)} uses the name pdl gives the partial download of ${JSON.stringify(claim.relPath)}` });
      }
    }
    for (const folder of ancestors) if (!folders.has(folder)) folders.set(folder, claim);
  }
  return conflicts;
}

/** The companion suffix `key` ends with, if any (no suffix ends another, so there is at most one). */
function companionSuffix(key: string): string | undefined {
  for (const suffix of SUFFIXES) if (key.endsWith(suffix)) return suffix;
  return undefined;
}

const NO_FOLDERS: readonly string[] = [];

/** `a/b/c` → `a`, `a/b`. */
function foldersOf(key: string): string[] {
  const folders: string[] = [];
  for (let slash = key.indexOf('/'); slash !== -1; slash = key.indexOf('/', slash + 1)) folders.push(key.slice(0, slash));
  return folders;
}

function firstFound<T, R>(items: readonly T[], look: (item: T) => R | undefined): R | undefined {
  for (const item of items) {
    const found = look(item);
    if (found !== undefined) return found;
  }
  return undefined;
}
