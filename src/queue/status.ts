/**
 * `pdl status jobs.yaml --queue URL`: where a shared job stands, read from its queue without taking part in it.
 */
import { Queue } from 'bullmq';
import type { ResolvedJob } from '../job/resolved.js';
import { LEASE_PREFIX, QUEUE_PREFIX, bullConnection } from './bull.js';
import { connectControl } from './connect.js';
import { queueNameOf } from './identity.js';
import { failedResult, jobsIn } from './job-results.js';
import type { QueueTarget } from './redis-url.js';
import type { QueueTiming } from './timing.js';

export interface WorkerStatus {
  id: string;
  /** Still renewing its lease in the register. */
  alive: boolean;
  done: number;
  failed: number;
  /** Output paths it holds now. */
  active: string[];
}

export interface QueueStatus {
  queue: string;
  files: number;
  /** The queue has been seeded by some worker. */
  seeded: boolean;
  done: number;
  failed: number;
  pending: number;
  active: number;
  failures: { path: string; reason: string }[];
  workers: WorkerStatus[];
}

export async function queueStatus(job: ResolvedJob, target: QueueTarget, timing: QueueTiming): Promise<QueueStatus> {
  const name = queueNameOf(job.files);
  const control = await connectControl(target, timing.connectTimeoutMs);
  const queue = new Queue(name, { connection: bullConnection(target, timing), prefix: QUEUE_PREFIX });
  queue.on('error', () => undefined);
  try {
    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'prioritized', 'delayed', 'waiting-children');
    const seeded = Object.values(counts).some((n) => n > 0);
    const workers = new Map<string, WorkerStatus>();
    const of = (id: string | undefined) => {
      const key = id ?? '(unknown)';
      let entry = workers.get(key);
      if (!entry) workers.set(key, (entry = { id: key, alive: false, done: 0, failed: 0, active: [] }));
      return entry;
    };
    const [seconds] = await control.time();
    for (const id of await control.zrangebyscore(`${LEASE_PREFIX}:${name}:workers`, `(${Number(seconds) * 1000}`, '+inf')) of(id).alive = true;
    for await (const bull of jobsIn(queue, 'completed')) of(bull.processedBy).done++;
    const failures: QueueStatus['failures'] = [];
    for await (const bull of jobsIn(queue, 'failed')) {
      of(bull.processedBy).failed++;
      const result = failedResult(bull);
      failures.push({ path: result.path, reason: result.error?.message ?? bull.failedReason });
    }
    for await (const bull of jobsIn(queue, 'active')) of(bull.processedBy).active.push(bull.data.relPath);
    return {
      queue: name,
      files: job.files.length,
      seeded,
      done: counts['completed'] ?? 0,
      failed: counts['failed'] ?? 0,
      // Not seeded yet: every file is still to do.
      pending: seeded ? (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['delayed'] ?? 0) + (counts['waiting-children'] ?? 0) : job.files.length,
      active: counts['active'] ?? 0,
      failures: failures.sort((a, b) => (a.path < b.path ? -1 : 1)),
      workers: [...workers.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    };
  } finally {
    await queue.close().catch(() => undefined);
    await control.quit().catch(() => control.disconnect());
  }
}

export function formatStatus(status: QueueStatus): string {
  const lines = [
    `queue ${status.queue}: ${status.files} files — ${status.done} done, ${status.failed} failed, ${status.active} active, ${status.pending} pending${status.seeded ? '' : ' (no worker has started yet)'}`,
  ];
  for (const worker of status.workers) {
    lines.push(`worker ${worker.id}${worker.alive ? '' : ' (gone)'}: ${worker.done} done, ${worker.failed} failed, ${worker.active.length} active${worker.active.length > 0 ? ` (${worker.active.join(', ')})` : ''}`);
  }
  for (const failure of status.failures) lines.push(`FAILED ${failure.path}: ${failure.reason}`);
  return `${lines.join('\n')}\n`;
}
