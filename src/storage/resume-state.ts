/**
 * The resume control file next to the .part: what we know about the remote and which bytes are done.
 * It is read back after crashes, so reading never trusts it (anything odd is 'invalid', the caller restarts),
 * and writing replaces it atomically (temp file, fsync, rename): a reader sees the old state or the new one.
 *
 * Ordering contract for the caller: fdatasync the .part (`PartFile.sync`) before writing a state that claims
 * its bytes. A crash then leaves a state that claims at most what is on disk. The rename is not followed by a
 * directory fsync: losing it to a crash only brings back the previous state, which is still true.
 */

import { lstat, unlink } from 'node:fs/promises';
import type { Interval } from './intervals.js';
import { LocalIOError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import { COMPANION_SUFFIXES } from './companion-names.js';
import { readSmallFile,writeFileAtomic } from './small-file.js';

export interface ResumeState {
  format: 'pdl-resume';
  version: 1;
  /** The masked display URL — never a secret. */
  url: string;
  size: number | undefined;
  /** Strong ETag only: a weak one cannot guarantee byte-identical ranges. */
  etag: string | undefined;
  lastModified: string | undefined;
  /** The server honours Range requests. */
  ranges: boolean;
  /** Completed byte intervals: sorted, disjoint, non-adjacent, non-empty, within size. */
  done: Interval[];
  /** ISO 8601. */
  updatedAt: string;
}

export type ReadResumeResult =
  | { status: 'missing' }
  | { status: 'invalid'; reason: string }
  | { status: 'ok'; state: ResumeState };

const MAX_BYTES = 1024 * 1024;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const KEYS = ['format', 'version', 'url', 'size', 'etag', 'lastModified', 'ranges', 'done', 'updatedAt'];

export function controlPathOf(finalPath: string): string {
  return `${finalPath}${COMPANION_SUFFIXES.control}`;
}

/** Never throws for what is in the file; throws LocalIOError only when the file cannot be read at all. */
export async function readResumeState(path: string): Promise<ReadResumeResult> {
  const read = await readSmallFile(path, MAX_BYTES);
  if (read.status !== 'ok') return read;
  const text = read.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 'invalid', reason: text.length === 0 ? 'empty file' : 'not valid JSON' };
  }
  const reason = checkState(value);
  return reason === undefined ? { status: 'ok', state: fromJson(value as JsonState) } : { status: 'invalid', reason };
}

/**
 * Atomically replace the state at `path`. Writes for the same path are serialised inside this module, and so
 * is `removeResumeState`, so the last call always wins. An invalid state is refused before touching disk.
 */
export function writeResumeState(path: string, state: ResumeState): Promise<void> {
  return serialise(path, () => writeNow(path, state));
}

/**
 * Whether a control file is there to go with a .part: after a failed rewrite (disk full) the one from before still
 * holds a true, if older, state; without one the .part can never be trusted and only keeps the disk full.
 */
export async function hasResumeState(path: string): Promise<boolean> {
  return lstat(path).then((stats) => stats.isFile(), () => false);
}

/** Delete the state file; a missing one is fine. */
export function removeResumeState(path: string): Promise<void> {
  return serialise(path, async () => {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw toLocalIOError(error, path, 'remove');
    }
  });
}

const queues = new Map<string, Promise<void>>();

function serialise(path: string, task: () => Promise<void>): Promise<void> {
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.then(task);
  const tail = next.catch(() => undefined);
  queues.set(path, tail);
  // Forget the path once its queue drains, so long runs do not accumulate entries.
  void tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return next;
}

async function writeNow(path: string, state: ResumeState): Promise<void> {
  const json = toJson(state);
  const reason = checkState(json);
  if (reason !== undefined) throw new LocalIOError(`cannot write ${path}: invalid resume state: ${reason}`, { path });
  const data = `${JSON.stringify(json)}\n`;
  if (Buffer.byteLength(data) > MAX_BYTES) throw new LocalIOError(`cannot write ${path}: resume state too large`, { path });

  await writeFileAtomic(path, data);
}

/** On disk, `undefined` is spelled `null` so every key is always present. */
type JsonState = Omit<ResumeState, 'size' | 'etag' | 'lastModified'> & {
  size: number | null;
  etag: string | null;
  lastModified: string | null;
};

function toJson(state: ResumeState): JsonState {
  return {
    format: state.format,
    version: state.version,
    url: state.url,
    size: state.size ?? null,
    etag: state.etag ?? null,
    lastModified: state.lastModified ?? null,
    ranges: state.ranges,
    done: state.done.map(({ start, end }) => ({ start, end })),
    updatedAt: state.updatedAt,
  };
}

function fromJson(json: JsonState): ResumeState {
  return {
    ...json,
    size: json.size ?? undefined,
    etag: json.etag ?? undefined,
    lastModified: json.lastModified ?? undefined,
    done: json.done.map(({ start, end }) => ({ start, end })),
  };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The reason `value` is not a valid on-disk state, or undefined when it is. */
function checkState(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not a JSON object';
  for (const key of Object.keys(value)) if (!KEYS.includes(key)) return `unknown key ${JSON.stringify(key)}`;
  for (const key of KEYS) if (!(key in value)) return `missing ${key}`;
  if (value.format !== 'pdl-resume') return 'format is not pdl-resume';
  if (value.version !== 1) return `unsupported version ${JSON.stringify(value.version)}`;
  if (typeof value.url !== 'string' || value.url === '') return 'url must be a non-empty string';
  if (value.size !== null && !isCount(value.size)) return 'size must be null or a safe non-negative integer';
  if (value.etag !== null && (typeof value.etag !== 'string' || value.etag === '' || value.etag.startsWith('W/'))) {
    return 'etag must be null or a strong ETag';
  }
  if (value.lastModified !== null && (typeof value.lastModified !== 'string' || value.lastModified === '')) {
    return 'lastModified must be null or a non-empty string';
  }
  if (typeof value.ranges !== 'boolean') return 'ranges must be a boolean';
  if (typeof value.updatedAt !== 'string' || !ISO_DATE.test(value.updatedAt) || Number.isNaN(Date.parse(value.updatedAt))) {
    return 'updatedAt must be an ISO date';
  }
  if (!Array.isArray(value.done)) return 'done must be an array';
  let previousEnd = -1;
  for (const [i, iv] of value.done.entries()) {
    if (!isRecord(iv) || Object.keys(iv).length !== 2 || !isCount(iv.start) || !isCount(iv.end)) {
      return `done[${i}] must be { start, end } with safe non-negative integers`;
    }
    if (iv.start >= iv.end) return `done[${i}] is empty or reversed`;
    if (iv.start <= previousEnd) return `done[${i}] is out of order, overlaps or touches the previous interval`;
    if (value.size !== null && iv.end > (value.size as number)) return `done[${i}] ends past size ${String(value.size)}`;
    previousEnd = iv.end;
  }
  return undefined;
}
