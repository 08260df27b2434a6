/**
 * Seeding: every worker adds the whole job on arrival. Job ids come from output paths, and BullMQ ignores an add
 * whose id exists (in any state), so N workers starting at once seed it once, and a file already done or failed
 * is never added back: a rerun after completion finds nothing to do.
 */
import type { Queue } from 'bullmq';
import type { ResolvedFile } from '../job/resolved.js';
import { startOrder } from '../engine/scheduler.js';
import { bullPriorities, fileJobId } from './identity.js';
import type { FileJobData } from './job-results.js';

const BATCH = 500;

export async function seedQueue(queue: Queue<FileJobData>, files: readonly ResolvedFile[]): Promise<void> {
  const priorities = bullPriorities(files);
  // Added in the order one run would start them, so equal priorities keep it.
  const ordered = startOrder([...files]);
  for (let start = 0; start < ordered.length; start += BATCH) {
    await queue.addBulk(
      ordered.slice(start, start + BATCH).map((file) => ({
        name: 'file',
        data: { index: file.index, relPath: file.relPath, url: file.displayUrl },
        opts: { jobId: fileJobId(file.relPath), priority: priorities.get(file.priority)!, attempts: 1, removeOnComplete: false, removeOnFail: false },
      })),
    );
  }
}
