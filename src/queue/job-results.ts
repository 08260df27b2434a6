/**
 * The whole job's results, read back from the queue: what every worker finished (a completed job's return value is
 * its FileResult) and what failed (the FileResult saved on the job before it was failed). Used for the summary, the
 * exit code and `--report` of any worker, and by `pdl status`.
 */
import type { Job, Queue } from 'bullmq';
import type { FileResult, RunSummary } from '../engine/events.js';

export interface FileJobData {
  index: number;
  relPath: string;
  /** As written, secrets masked. */
  url: string;
  /** Set on a failed file before it is moved to failed. */
  result?: FileResult;
}

const PAGE = 500;

export async function* jobsIn(queue: Queue, state: 'completed' | 'failed' | 'active' | 'waiting' | 'prioritized'): AsyncGenerator<Job<FileJobData>> {
  // Bounded: each page is smaller than the last one asked for only at the end.
  for (let start = 0; ; start += PAGE) {
    const page = (await queue.getJobs([state], start, start + PAGE - 1, true)) as Job<FileJobData>[];
    for (const job of page) if (job) yield job;
    if (page.length < PAGE) return;
  }
}

export async function jobResults(queue: Queue): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for await (const job of jobsIn(queue, 'completed')) results.push(job.returnvalue as FileResult);
  for await (const job of jobsIn(queue, 'failed')) results.push(failedResult(job));
  return results.sort((a, b) => a.index - b.index);
}

export function failedResult(job: Job<FileJobData>): FileResult {
  if (job.data.result !== undefined) return job.data.result;
  // Failed by the queue itself (stalled too often: its workers kept dying), not by a download.
  return {
    index: job.data.index,
    path: job.data.relPath,
    url: job.data.url,
    outcome: 'failed',
    size: undefined,
    transferred: 0,
    completedBytes: 0,
    elapsedMs: 0,
    sha256: undefined,
    error: { code: 'E_QUEUE', kind: 'queue', message: job.failedReason },
  };
}

export function summarize(files: FileResult[], elapsedMs: number, stopped: RunSummary['stopped']): RunSummary {
  const transferred = files.reduce((sum, file) => sum + file.transferred, 0);
  const count = (...outcomes: FileResult['outcome'][]) => files.filter((file) => outcomes.includes(file.outcome)).length;
  return {
    files,
    done: count('downloaded', 'resumed', 'repaired', 'reused'),
    skipped: count('skipped'),
    unchanged: count('unchanged'),
    failed: count('failed'),
    interrupted: count('interrupted'),
    transferred,
    elapsedMs,
    speed: elapsedMs > 0 ? (transferred * 1000) / elapsedMs : 0,
    stopped,
  };
}
