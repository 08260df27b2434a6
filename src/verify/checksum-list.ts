/**
 * What a checksum list (SHA256SUMS, CHECKSUM, *.sha512) says, and which of its lines vouches for a file. Pure: the
 * engine fetches the text (engine/checksum-lists.ts). Two formats, as `sha256sum` writes and `sha256sum -c` reads:
 *   GNU  `<hex>  name` (text mode), `<hex> *name` (binary mode), a leading `\` when the name is escaped
 *   BSD  `SHA256 (name) = <hex>` (also `sha256sum --tag`, and OpenSSL's `SHA2-256(name)= <hex>`)
 * Everything else — comments, blank lines, the armour of a PGP-signed list, `# size` notes — is not a line of
 * either format and is skipped, so a signed Fedora CHECKSUM file reads as well as a bare Debian SHA256SUMS.
 */
import { CHECKSUM_HEX_LENGTH } from '../job/rules.js';
import type { ChecksumAlgorithm } from '../job/resolved.js';

export interface ChecksumList {
  /** Name as written in the list (escapes undone, leading `./` dropped) → lower-case hex. */
  entries: Map<string, string>;
  /** Names listed twice with different digests: they vouch for nothing. */
  conflicts: Set<string>;
}

// Two characters after the hex (` ` or ` *`, the mode); one space only before a name that could not be a mode.
const GNU_LINE = /^(\\?)([0-9a-fA-F]+)(?: [ *]| (?=[^ *]))(.+)$/;
const BSD_LINE = /^(\\?)([A-Za-z0-9-]+) ?\((.+)\) ?= ?([0-9a-fA-F]+)$/;
const HEX_LENGTHS = new Set<number>(Object.values(CHECKSUM_HEX_LENGTH));

/**
 * Parse a list. With `algorithm`, only its lines count (the hex length must fit; a BSD line must carry its tag), so
 * a file listing both SHA256 and SHA512 lines gives each algorithm its own digests.
 */
export function parseChecksumList(text: string, algorithm?: ChecksumAlgorithm): ChecksumList {
  const list: ChecksumList = { entries: new Map(), conflicts: new Set() };
  const wantedLength = algorithm === undefined ? undefined : CHECKSUM_HEX_LENGTH[algorithm];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#')) continue;
    const entry = parseLine(line);
    if (entry === undefined) continue;
    if (wantedLength !== undefined ? entry.hex.length !== wantedLength : !HEX_LENGTHS.has(entry.hex.length)) continue;
    if (algorithm !== undefined && entry.tag !== undefined && entry.tag !== algorithm) continue;
    add(list, entry.name, entry.hex);
  }
  return list;
}

function parseLine(line: string): { name: string; hex: string; tag: string | undefined } | undefined {
  const bsd = BSD_LINE.exec(line);
  if (bsd) {
    const [, escaped, tag, name, hex] = bsd as unknown as [string, string, string, string, string];
    return { name: escaped ? unescape(name) : name, hex: hex.toLowerCase(), tag: normalizeTag(tag) };
  }
  const gnu = GNU_LINE.exec(line);
  if (gnu) {
    const [, escaped, hex, name] = gnu as unknown as [string, string, string, string];
    return { name: escaped ? unescape(name) : name, hex: hex.toLowerCase(), tag: undefined };
  }
  return undefined;
}

/** `SHA256`, `sha256`, `SHA2-256` → `sha256`; `MD5` → `md5`. */
function normalizeTag(tag: string): string {
  return tag.toLowerCase().replace(/^sha2-/, 'sha').replace(/-/g, '');
}

/** GNU coreutils escapes `\` and newline (and, since 9.x, carriage return) in names and marks the line with `\`. */
function unescape(name: string): string {
  return name.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

function add(list: ChecksumList, written: string, hex: string): void {
  const name = written.replace(/^(\.\/)+/, '');
  if (name === '' || list.conflicts.has(name)) return;
  const earlier = list.entries.get(name);
  if (earlier === undefined) list.entries.set(name, hex);
  else if (earlier !== hex) {
    list.entries.delete(name);
    list.conflicts.add(name);
  }
}

export type ChecksumLookup =
  | { ok: true; hex: string; name: string }
  | { ok: false; reason: 'missing' | 'conflict'; names: string[] };

/**
 * The line for a file, trying `names` in order (pdl passes the output path, its basename, then the URL's last
 * segment). A list written from a parent folder (`amd64/foo.iso`) still matches by basename, but only when every
 * line with that basename agrees: two different `foo.iso` lines are a conflict, never a guess.
 */
export function lookupChecksum(list: ChecksumList, names: readonly string[]): ChecksumLookup {
  const tried = [...new Set(names.filter((name) => name !== ''))];
  for (const name of tried) {
    if (list.conflicts.has(name)) return { ok: false, reason: 'conflict', names: [name] };
    const hex = list.entries.get(name);
    if (hex !== undefined) return { ok: true, hex, name };
  }
  const basenames = new Set(tried.map(basename));
  const found: Array<[string, string]> = [];
  for (const [name, hex] of list.entries) if (name.includes('/') && basenames.has(basename(name))) found.push([name, hex]);
  const conflicting = [...list.conflicts].filter((name) => basenames.has(basename(name)));
  if (conflicting.length > 0 || new Set(found.map(([, hex]) => hex)).size > 1) {
    return { ok: false, reason: 'conflict', names: [...conflicting, ...found.map(([name]) => name)] };
  }
  const first = found[0];
  return first ? { ok: true, hex: first[1], name: first[0] } : { ok: false, reason: 'missing', names: tried };
}

function basename(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
