/**
 * What `pdl run` and `pdl get` share once they hold a resolved job: pick a reporter, run the engine, print the
 * summary, choose the exit code.
 */
import { EngineEmitter, type RunSummary } from '../engine/events.js';
import { runJob } from '../engine/run.js';
import { UsageError } from '../errors.js';
import type { ResolvedJob } from '../job/resolved.js';
import { createReporter, defaultReporterKind, type ReporterKind } from '../report/index.js';
import { exitCodeForRun } from './exit-code.js';
import type { CliIO } from './main.js';

export interface ExecuteOptions {
  reporter: string | undefined;
  quiet: boolean;
  verbose: boolean;
  failFast: boolean;
}

export function reporterKind(value: string | undefined, io: CliIO): ReporterKind {
  if (value === undefined) return defaultReporterKind(io.stderr);
  if (value === 'tty' || value === 'plain' || value === 'json') return value;
  throw new UsageError(`--reporter: expected tty, plain or json, got "${value}"`);
}

export async function execute(job: ResolvedJob, options: ExecuteOptions, io: CliIO): Promise<number> {
  const kind = reporterKind(options.reporter, io);
  const reporter = await createReporter(kind, {
    out: io.stdout,
    err: io.stderr,
    quiet: options.quiet,
    verbose: options.verbose,
    // Log lines from cron and CI carry a time; a person at a terminal does not need one.
    timestamps: kind === 'plain' && io.stdout.isTTY !== true,
  });
  const events = new EngineEmitter();
  reporter.attach(events);
  let summary: RunSummary;
  try {
    summary = await runJob(job, { events, signal: io.signal, failFast: options.failFast });
  } catch (error) {
    // The live display holds the event loop open until it is ended.
    await reporter.end(emptySummary()).catch(() => undefined);
    throw error;
  }
  await reporter.end(summary);
  return exitCodeForRun(summary);
}

function emptySummary(): RunSummary {
  return { files: [], done: 0, skipped: 0, failed: 0, interrupted: 0, transferred: 0, elapsedMs: 0, speed: 0, stopped: undefined };
}
