/**
 * `<dir>/.pdl-hosts.json`: how many connections each host took when pdl last downloaded into this folder, so the
 * next (cron) run starts at the learned target instead of finding a host's connection cap again through refusals.
 *
 * Like the mirror state it is a cache, never an authority: an unreadable, invalid or foreign file counts as empty
 * (with a note), bad entries are dropped one by one, and the engine still probes upward from what is loaded.
 * Storage knows nothing of the engine's policy: it keeps numbers per host key ("host:port") and when they were learned.
 */
import { join } from 'node:path';
import { readSmallFile, writeFileAtomic, type SmallFileRead } from './small-file.js';

export const HOST_CAPACITY_FILE_NAME = '.pdl-hosts.json';

export interface SavedHostCapacity {
  /** Connections the host took at the end of the last run, ≥ 1. */
  target: number;
  /** The perHost limit that run had: a later run with a higher limit may want to probe further. */
  perHost: number;
  /** ISO 8601. */
  learnedAt: string;
}

export type LoadedHostCapacities = { hosts: Map<string, SavedHostCapacity>; note: string | undefined };

const FORMAT = 'pdl-hosts';
const VERSION = 1;
/** A few dozen bytes a host: far more hosts than any job has, and a bound on what a hostile file makes us parse. */
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_KEY = 300;
const MAX_CONNECTIONS = 1024;

/** Never throws for what is in the file; a note says why (part of) it was not used. */
export async function loadHostCapacities(root: string): Promise<LoadedHostCapacities> {
  const path = join(root, HOST_CAPACITY_FILE_NAME);
  const read: SmallFileRead = await readSmallFile(path, MAX_BYTES).catch((error: unknown) => ({
    status: 'invalid' as const,
    reason: error instanceof Error ? error.message : String(error),
  }));
  if (read.status === 'missing') return { hosts: new Map(), note: undefined };
  if (read.status === 'invalid') return { hosts: new Map(), note: `ignored ${path}: ${read.reason}` };
  const parsed = parseHostCapacities(read.text);
  const note = parsed.reason === undefined ? undefined : `ignored ${parsed.hosts.size > 0 ? 'part of ' : ''}${path}: ${parsed.reason}`;
  return { hosts: parsed.hosts, note };
}

/** Replaces the file atomically, hosts sorted so the file diffs well. */
export async function saveHostCapacities(root: string, hosts: ReadonlyMap<string, SavedHostCapacity>): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const [key, saved] of [...hosts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!validEntry(key, saved)) throw new RangeError(`Expected a valid host capacity for ${JSON.stringify(key)}, got ${JSON.stringify(saved)}`);
    // defineProperty: a key named `__proto__` is a key like any other.
    Object.defineProperty(out, key, {
      value: { target: saved.target, perHost: saved.perHost, learnedAt: saved.learnedAt },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  await writeFileAtomic(join(root, HOST_CAPACITY_FILE_NAME), `${JSON.stringify({ format: FORMAT, version: VERSION, hosts: out })}\n`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_CONNECTIONS;

function validEntry(key: string, raw: unknown): raw is SavedHostCapacity {
  if (key === '' || key.length > MAX_KEY || !isRecord(raw)) return false;
  const { target, perHost, learnedAt } = raw;
  return isCount(target) && isCount(perHost) && target <= perHost && typeof learnedAt === 'string' && !Number.isNaN(Date.parse(learnedAt));
}

/** Entries that pass every check; a reason when anything was dropped. */
export function parseHostCapacities(text: string): { hosts: Map<string, SavedHostCapacity>; reason: string | undefined } {
  const hosts = new Map<string, SavedHostCapacity>();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { hosts, reason: text.length === 0 ? 'empty file' : 'not valid JSON' };
  }
  if (!isRecord(value) || value.format !== FORMAT) return { hosts, reason: `not a ${FORMAT} file` };
  if (value.version !== VERSION) return { hosts, reason: `unsupported version ${JSON.stringify(value.version)}` };
  if (!isRecord(value.hosts)) return { hosts, reason: 'hosts must be an object' };
  let dropped = 0;
  for (const [key, raw] of Object.entries(value.hosts)) {
    if (validEntry(key, raw)) hosts.set(key, { target: raw.target, perHost: raw.perHost, learnedAt: raw.learnedAt });
    else dropped++;
  }
  return { hosts, reason: dropped > 0 ? `${dropped} invalid ${dropped === 1 ? 'entry' : 'entries'}` : undefined };
}
