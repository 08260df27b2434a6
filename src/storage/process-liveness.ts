/**
 * Whether the process that wrote one of pdl's lock files (the run lock, a file claim) may still be running. Shared
 * by both so they judge a holder the same way: a lock must die with its process, or a kill -9 would block the next
 * run forever, yet a live holder must never be taken for dead.
 */
import { readFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';

/** Who holds a lock, as written into it. */
export interface ProcessIdentity {
  pid: number;
  hostname: string;
  /**
   * When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat): tells the holder from a
   * later process that got the same pid. Absent where there is no /proc (macOS) and in locks of older pdl versions.
   */
  startTicks?: number;
  /** The kernel's boot id (/proc/sys/kernel/random/boot_id): a lock from an earlier boot is dead whatever its pid. */
  bootId?: string;
}

let own: Promise<ProcessIdentity> | undefined;

/** This process, for writing into a lock. */
export function currentProcess(): Promise<ProcessIdentity> {
  own ??= (async () => {
    const [startTicks, bootId] = await Promise.all([startTicksOf(process.pid), readBootId()]);
    return {
      pid: process.pid,
      hostname: hostname(),
      ...(startTicks !== undefined ? { startTicks } : {}),
      ...(bootId !== undefined ? { bootId } : {}),
    };
  })();
  return own;
}

/**
 * Whether `holder` may still be running. `since` is when the lock was taken. A holder on another host cannot be
 * checked, so it counts as alive. The caller decides about its own pid (it alone knows what it holds).
 */
export async function mayBeAlive(holder: ProcessIdentity, since: Date): Promise<boolean> {
  if (holder.hostname !== hostname()) return true;
  const me = await currentProcess();
  if (holder.bootId !== undefined && me.bootId !== undefined) {
    if (holder.bootId !== me.bootId) return false;
  } else if (since.getTime() < Date.now() - uptime() * 1000) {
    // Without boot ids (which, unlike clocks, never jump): a lock taken before the last boot belongs to a process
    // that is gone, whatever has its pid now.
    return false;
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (holder.startTicks === undefined) return true;
  const now = await startTicksOf(holder.pid);
  // Another start time: the pid was reused by an unrelated process. Unknown (no /proc, or it just exited): alive.
  return now === undefined || now === holder.startTicks;
}

/** The optional fields of a parsed lock are what they claim to be: a wrong type must not make a live holder look dead. */
/**
 * The fields every holder record (run lock, file claim) shares, read from `text` when they can be trusted: JSON, the
 * right `format`, a pid > 0 (a pid ≤ 0 would signal a process group), hostname, token, the time field named, and a
 * valid process identity. The caller checks its own extra fields.
 */
export function parseHolderRecord(text: string, format: string, timeField: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown> & { startTicks?: unknown; bootId?: unknown };
  if (record.format !== format) return undefined;
  if (typeof record.pid !== 'number' || !Number.isSafeInteger(record.pid) || record.pid <= 0) return undefined;
  if (typeof record.hostname !== 'string' || typeof record[timeField] !== 'string' || typeof record.token !== 'string') return undefined;
  return isValidIdentity(record) ? record : undefined;
}

export function isValidIdentity(value: { startTicks?: unknown; bootId?: unknown }): boolean {
  if (value.startTicks !== undefined && !(typeof value.startTicks === 'number' && Number.isSafeInteger(value.startTicks) && value.startTicks >= 0)) return false;
  return value.bootId === undefined || typeof value.bootId === 'string';
}

/** Start time of `pid` in clock ticks since boot, or undefined where /proc cannot tell. */
export async function startTicksOf(pid: number): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : undefined;
}

async function readBootId(): Promise<string | undefined> {
  try {
    const id = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    return id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}
