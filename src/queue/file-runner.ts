/**
 * One file of a shared job, on this worker: it takes connection slots first (this worker's limits.connections, and
 * the job-wide limits.perHost in Redis), then runs the engine on that one file with exactly as many connections as
 * it holds, so the engine's own per-run limits can never exceed the shared ones.
 */
import { EngineEmitter, type EngineEventName, type FileResult } from '../engine/events.js';
import { runTransfers } from '../engine/run.js';
import type { ResolvedFile, ResolvedJob } from '../job/resolved.js';
import type { PreparedRun } from '../run-job.js';
import type { Leases, Slot } from './leases.js';
import type { LocalSlots } from './local-slots.js';

export interface FileRunnerOptions {
  job: Pick<ResolvedJob, 'dir' | 'limits'>;
  prepared: PreparedRun;
  leases: Leases;
  local: LocalSlots;
  /** The worker's events: every file's events are passed on, but not each one-file run's start, progress and end. */
  events: EngineEmitter;
  rateLimit: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
}

export async function runOneFile(file: ResolvedFile, options: FileRunnerOptions, signal: AbortSignal): Promise<FileResult> {
  const { job, leases, local } = options;
  const host = new URL(file.url).host;
  const slots: Slot[] = [];
  let localHeld = 0;
  try {
    await local.take(signal);
    localHeld = 1;
    slots.push(await leases.acquire(`host:${host}`, job.limits.perHost, signal));
    // More connections only while they are free now: waiting for a second slot while holding one could starve others.
    while (slots.length < file.connections && local.tryTake()) {
      localHeld++;
      const slot = await leases.tryAcquire(`host:${host}`, job.limits.perHost);
      if (!slot) break;
      slots.push(slot);
    }
    if (localHeld > slots.length) {
      local.give(localHeld - slots.length);
      localHeld = slots.length;
    }
    const n = slots.length;
    const events = new EngineEmitter();
    const forward = events.onAny((name: EngineEventName, event) => {
      if (name !== 'run:start' && name !== 'run:progress' && name !== 'run:done') options.events.emit(name, event as never);
    });
    try {
      const summary = await runTransfers(
        { dir: job.dir, limits: { ...job.limits, files: 1, connections: n, perHost: n }, files: [{ ...file, connections: Math.min(file.connections, n) }] },
        { hooks: options.prepared.hooks, source: options.prepared.source, events, signal, rateLimit: options.rateLimit, hostTargets: options.prepared.hostTargets },
      );
      return summary.files[0]!;
    } finally {
      forward();
    }
  } finally {
    local.give(localHeld);
    await Promise.all(slots.map((slot) => leases.release(slot).catch(() => undefined)));
  }
}
