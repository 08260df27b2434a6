/**
 * `<dir>/.pdl-state.json`: what pdl learned about each output file when it last completed it (validators, size,
 * sha256), so `ifExists: newer` can ask the server "changed since?" instead of downloading again.
 *
 * One file per output root, loaded once per run, kept only in roots that use `newer` (see run.ts). It is a cache, never an authority: an unreadable or invalid file
 * counts as empty (with a note), and every entry is checked against the local file before it is used. Writes are
 * atomic (temp file, fsync, rename) and happen at most every FLUSH_MS while files complete and once at the end, so
 * a kill -9 loses at most the last couple of seconds — which only costs a re-download, never a wrong answer.
 */
import { join } from 'node:path';
import { readSmallFile,writeFileAtomic,type SmallFileRead } from './small-file.js';

export const MIRROR_STATE_NAME = '.pdl-state.json';

export interface MirrorEntry {
  /** The URL as written in the job (masked display form). */
  url: string;
  /** Where redirects ended, without query or fragment, when it differs from `url` and holds no secret. */
  finalUrl: string | undefined;
  /** Strong ETag, quoted. */
  etag: string | undefined;
  /** The server's Last-Modified, as sent. */
  lastModified: string | undefined;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** ISO 8601. */
  completedAt: string;
}

/** `present`: a state file was there, valid or not (the root has used `newer` before). */
export type LoadedMirrorState = { state: MirrorState; present: boolean; note: string | undefined };

const FORMAT = 'pdl-state';
const FLUSH_MS = 2000;
/** Some 100 bytes an entry: room for a million files, and a bound on what a hostile file can make us parse. */
const MAX_BYTES = 256 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export class MirrorState {
  readonly path: string;
  readonly #entries: Map<string, MirrorEntry>;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = 0;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(path: string, entries: Map<string, MirrorEntry>) {
    this.path = path;
    this.#entries = entries;
  }

  /** Read the state of an output root. Never throws for what is in the file; a note says why it was not used. */
  static async load(root: string): Promise<LoadedMirrorState> {
    const path = join(root, MIRROR_STATE_NAME);
    const read = await readText(path);
    if (read.status === 'missing') return { state: new MirrorState(path, new Map()), present: false, note: undefined };
    if (read.status === 'invalid') return { state: new MirrorState(path, new Map()), present: true, note: `ignored ${path}: ${read.reason}` };
    const parsed = parseState(read.text);
    const note = parsed.reason === undefined ? undefined : `ignored ${parsed.entries.size > 0 ? 'part of ' : ''}${path}: ${parsed.reason}`;
    return { state: new MirrorState(path, parsed.entries), present: true, note };
  }

  get(relPath: string): MirrorEntry | undefined {
    return this.#entries.get(relPath);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Paths whose recorded content has this sha256 (a claim to verify before use: the files may have changed since). */
  pathsWithSha256(hex: string): string[] {
    const paths: string[] = [];
    for (const [relPath, entry] of this.#entries) if (entry.sha256 === hex) paths.push(relPath);
    return paths;
  }

  /** Remember a completed file; saved within FLUSH_MS. */
  record(relPath: string, entry: MirrorEntry): void {
    this.#entries.set(relPath, entry);
    this.#dirty = true;
    this.#schedule();
  }

  /** Write now if anything changed; writes never overlap and the last one wins. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty) return this.#writing;
    this.#dirty = false;
    this.#lastWrite = Date.now();
    const data = `${JSON.stringify(this.#toJson())}\n`;
    const next = this.#writing.catch(() => undefined).then(() => writeFileAtomic(this.path, data));
    this.#writing = next;
    return next;
  }

  /** The final write of a run; later `record` calls are only kept in memory. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    const wait = Math.max(0, this.#lastWrite + FLUSH_MS - Date.now());
    // A failed intermediate write is not worth failing a download for: the final write reports it.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(() => undefined);
    }, wait);
    this.#timer.unref();
  }

  #toJson() {
    const files: Record<string, unknown> = {};
    const sorted = [...this.#entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [relPath, e] of sorted) {
      // defineProperty: a path named `__proto__` is a key like any other.
      Object.defineProperty(files, relPath, {
        value: { url: e.url, finalUrl: e.finalUrl ?? null, etag: e.etag ?? null, lastModified: e.lastModified ?? null, size: e.size, sha256: e.sha256, completedAt: e.completedAt },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { format: FORMAT, version: 1, files };
  }
}

/** The state file's text; a file that cannot be read at all counts as invalid (the state is a cache, never fatal). */
async function readText(path: string): Promise<SmallFileRead> {
  return readSmallFile(path, MAX_BYTES).catch((error: unknown) => ({ status: 'invalid' as const, reason: error instanceof Error ? error.message : String(error) }));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): v is string | null => v === null || (typeof v === 'string' && v !== '');

/** Entries that pass every check; a reason when anything was dropped. Bad entries are skipped one by one. */
export function parseState(text: string): { entries: Map<string, MirrorEntry>; reason: string | undefined } {
  const entries = new Map<string, MirrorEntry>();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { entries, reason: text.length === 0 ? 'empty file' : 'not valid JSON' };
  }
  if (!isRecord(value) || value.format !== FORMAT) return { entries, reason: `not a ${FORMAT} file` };
  if (value.version !== 1) return { entries, reason: `unsupported version ${JSON.stringify(value.version)}` };
  if (!isRecord(value.files)) return { entries, reason: 'files must be an object' };
  let dropped = 0;
  for (const [relPath, raw] of Object.entries(value.files)) {
    const entry = checkEntry(raw);
    if (entry && relPath !== '') entries.set(relPath, entry);
    else dropped++;
  }
  return { entries, reason: dropped > 0 ? `${dropped} invalid ${dropped === 1 ? 'entry' : 'entries'}` : undefined };
}

function checkEntry(raw: unknown): MirrorEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const { url, finalUrl, etag, lastModified, size, sha256, completedAt } = raw;
  if (typeof url !== 'string' || url === '' || !optionalString(finalUrl) || !optionalString(lastModified)) return undefined;
  if (!optionalString(etag) || (typeof etag === 'string' && !etag.startsWith('"'))) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) return undefined;
  if (typeof completedAt !== 'string' || Number.isNaN(Date.parse(completedAt))) return undefined;
  return { url, finalUrl: finalUrl ?? undefined, etag: etag ?? undefined, lastModified: lastModified ?? undefined, size, sha256, completedAt };
}

