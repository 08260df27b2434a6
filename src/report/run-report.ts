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
  size: number | null;
  /** Bytes of the file on disk when it ended: all of it when done; what a rerun resumes from otherwise. */
  completedBytes: number;
  /** Bytes fetched over the network in this run. */
  transferred: number;
  elapsedMs: number;
  sha256: string | null;
  error: { code: string; message: string } | null;
  /** Files with `urls:` only: the bytes each mirror served in this run; `bad` when it served bytes failing the checksum. */
  mirrors?: Array<{ url: string; bytes: number; dropped: string | null; bad: boolean }>;
}

/** What a run ended with: shared by the --report file and the `summary` line of `--reporter json`. */
export interface RunResult {
  stopped: NonNullable<RunSummary['stopped']> | null;
  /** null only where the caller did not know it (a reporter ended without one). */
  exitCode: number | null;
  totals: { done: number; skipped: number; unchanged: number; failed: number; interrupted: number; transferred: number; elapsedMs: number };
  files: RunReportFile[];
}

export interface RunReport extends RunResult {
  version: 1;
  exitCode: number;
  /** Absolute path of the job file (null for a job not read from a file). */
  job: string | null;
  startedAt: string;
  finishedAt: string;
  /** Set when the run itself ended in an error (not one file's failure); files is then empty. */
  error: { code: string; message: string } | null;
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
  const result = runResultOf(summary, input.exitCode, mask);
  return {
    version: 1,
    job: job.source ?? null,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    stopped: result.stopped,
    exitCode: input.exitCode,
    error: input.error === undefined ? null : { code: input.error.code, message: maskSecrets(input.error.message, allSecrets) },
    totals: result.totals,
    files: result.files,
  };
}

/** `mask(text, fileIndex)` hides secrets in URLs and messages (the engine's own events are masked already). */
export function runResultOf(summary: RunSummary, exitCode: number | null, mask: (text: string, index: number) => string = (text) => text): RunResult {
  return {
    stopped: summary.stopped ?? null,
    exitCode,
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
      size: file.size ?? null,
      completedBytes: file.completedBytes,
      transferred: file.transferred,
      elapsedMs: file.elapsedMs,
      sha256: file.sha256 ?? null,
      error: file.error === undefined ? null : { code: file.error.code, message: mask(file.error.message, file.index) },
      ...(file.served
        ? { mirrors: file.served.map((m) => ({ url: mask(m.url, file.index), bytes: m.bytes, dropped: m.dropped === undefined ? null : mask(m.dropped, file.index), bad: m.bad === true })) }
        : {}),
    })),
  };
}

/** Write the report atomically (temp file in the same folder, fsync, rename): a reader never sees half of one. */
export async function writeRunReport(path: string, report: RunReport): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`, 'write the report');
}
