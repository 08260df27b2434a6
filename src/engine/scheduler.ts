/**
 * The scheduling policy, pure: given the connection slots in use, the files waiting and the files in flight,
 * what should the next free slot do? Files first (highest priority, then job-file order), ranges second.
 */

export interface SchedulerLimits {
  files: number;
  connections: number;
  perHost: number;
}

export interface QueuedView {
  key: number;
  /** The hosts its next connection may go to, best first (several for a file with mirrors); never empty. */
  hosts: readonly string[];
}

export interface InFlightView {
  key: number;
  /** As for QueuedView: each connection counts against the host it goes to. */
  hosts: readonly string[];
  /** Connections this file holds now. */
  active: number;
  /** Connections this file may hold (its `connections`). */
  max: number;
  /**
   * Bytes another connection would get; Infinity = it has none and needs one to go on; 0 = none of use (with no
   * connection at all: the file is winding down, verifying or failed, and settles shortly).
   */
  gain: number;
}

export interface SchedulerState {
  limits: SchedulerLimits;
  /** Connections open in total. */
  total: number;
  /** Connections open per host. */
  perHost: ReadonlyMap<string, number>;
  /**
   * Connections a host may have now, where that is below limits.perHost: what pdl learned of its cap, or a
   * Retry-After (0). See host-slots.ts.
   */
  hostLimits?: ReadonlyMap<string, number>;
  /** The same for connections that split a file in flight (a host's slow start, see host-slots.ts); hostLimits still apply. */
  splitLimits?: ReadonlyMap<string, number>;
  /** Files not started yet, in start order. */
  queued: readonly QueuedView[];
  inFlight: readonly InFlightView[];
}

/** `host`: where the slot is reserved (the file's best host that is free). */
export type SchedulerAction = { kind: 'start'; key: number; host: string } | { kind: 'connect'; key: number; host: string };

export function nextAction(state: SchedulerState): SchedulerAction | null {
  const { limits } = state;
  if (state.total >= limits.connections) return null;
  const hostFree = (host: string) => (state.perHost.get(host) ?? 0) < Math.min(limits.perHost, state.hostLimits?.get(host) ?? Infinity);

  // A file in flight with no connection at all (between ranges, restarting) comes before anything new.
  for (const file of state.inFlight) {
    if (file.active !== 0 || file.gain !== Infinity) continue;
    const host = file.hosts.find(hostFree);
    if (host !== undefined) return { kind: 'connect', key: file.key, host };
  }
  // A file waiting for a busy host does not block files on other hosts.
  let next: { key: number; host: string } | undefined;
  for (const file of state.queued) {
    const host = file.hosts.find(hostFree);
    if (host !== undefined) {
      next = { key: file.key, host };
      break;
    }
  }
  if (next) {
    if (state.inFlight.length < limits.files) return { kind: 'start', ...next };
    // A file winding down (every byte in and being verified, or failed) holds no connection but still counts
    // against limits.files until it settles, a moment from now. Keep the slot for the file that starts then:
    // splitting a range into it would leave that file waiting for the range to end instead.
    if (state.inFlight.some((file) => file.active === 0 && file.gain === 0)) return null;
  }
  // A new file's first connection is not held back by a host's slow start: files do not wait on each other's answers.
  const splitFree = (host: string) => hostFree(host) && (state.perHost.get(host) ?? 0) < (state.splitLimits?.get(host) ?? Infinity);
  let best: { file: InFlightView; host: string } | undefined;
  for (const file of state.inFlight) {
    if (file.gain <= 0 || file.active >= file.max || (best && file.gain <= best.file.gain)) continue;
    // A file with mirrors splits onto its best host with room: a host at its cap does not cap the file.
    const host = file.hosts.find(splitFree);
    if (host !== undefined) best = { file, host };
  }
  return best ? { kind: 'connect', key: best.file.key, host: best.host } : null;
}

/** Start order: higher priority first, ties keep job-file order. */
export function startOrder<T extends { priority: number; index: number }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => b.priority - a.priority || a.index - b.index);
}
