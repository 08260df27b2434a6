/**
 * The `--report` file: one JSON document per run, for cron wrappers and monitoring, written whatever the run's
 * end (done, failed, interrupted, stopped by --max-runtime). It is built from the run summary only, so it shows
 * what the terminal shows: URLs as written (secrets masked), never an expanded ${VAR}.
 */
import type { FileOutcome,RunSummary } from '../engine/events.js';
import { maskSecrets,type ResolvedJob } from '../job/resolved.js';
import { writeFileAtomic } from '../storage/small-file.js';

export interface RunReportFile {
  path: string;
  /** As written in the job, secrets masked. */
  url: string;
  status: FileOutcome;
  /** The file's size, when known. */
  bytes: number | null;
  /** Bytes fetched over the network in this run. */
  transferred: number;
  elapsedMs: number;
  sha256: string | null;
  error: { code: string; message: string } | null;
}

export interface RunReport {
  version: 1;
  /** Absolute path of the job file (null for a job not read from a file). */
  job: string | null;
  startedAt: string;
  finishedAt: string;
  stopped: NonNullable<RunSummary['stopped']> | null;
  exitCode: number;
  /** Set when the run itself ended in an error (not one file's failure); files is then empty. */
  error: { code: string; message: string } | null;
  totals: { done: number; skipped: number; unchanged: number; failed: number; interrupted: number; transferred: number; elapsedMs: number };
  files: RunReportFile[];
}

export interface RunReportInput {
  job: ResolvedJob;
  summary: RunSummary;
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
  error?: { code: string; message: string };
}

export function buildRunReport(input: RunReportInput): RunReport {
  const { job, summary } = input;
  // The engine masks already; masking again here keeps the report safe whatever a future message includes.
  const allSecrets = job.files.flatMap((file) => file.secrets);
  const mask = (text: string, index: number) => maskSecrets(maskSecrets(text, job.files[index]?.secrets ?? []), allSecrets);
  return {
    version: 1,
    job: job.source ?? null,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    stopped: summary.stopped ?? null,
    exitCode: input.exitCode,
    error: input.error === undefined ? null : { code: input.error.code, message: maskSecrets(input.error.message, allSecrets) },
    totals: {
      done: summary.done,
      skipped: summary.skipped,
      unchanged: summary.unchanged,
      failed: summary.failed,
      interrupted: summary.interrupted,
      transferred: summary.transferred,
      elapsedMs: summary.elapsedMs,
    },
    files: summary.files.map((file) => ({
      path: file.path,
      url: mask(file.url, file.index),
      status: file.outcome,
      bytes: file.size ?? null,
      transferred: file.transferred,
      elapsedMs: file.elapsedMs,
      sha256: file.sha256 ?? null,
      error: file.error === undefined ? null : { code: file.error.code, message: mask(file.error.message, file.index) },
    })),
  };
}

/** Write the report atomically (temp file in the same folder, fsync, rename): a reader never sees half of one. */
export async function writeRunReport(path: string, report: RunReport): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`, 'write the report');
}
