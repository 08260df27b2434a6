/**
 * What `pdl run` and `pdl get` share once they hold a resolved job: pick a reporter, run the engine, print the
 * summary, choose the exit code.
 */
import './baseline-wasm.js';
import { EngineEmitter, type RunSummary } from '../engine/events.js';
import { runJob, type RunOptions } from '../run-job.js';
import { EXIT_CODES, PdlError, UsageError } from '../errors.js';
import type { ResolvedJob } from '../job/resolved.js';
import { createReporter, defaultReporterKind, type ReporterKind } from '../report/index.js';
import { buildRunReport, writeRunReport } from '../report/run-report.js';
import { exitCodeForRun } from './exit-code.js';
import type { CliIO } from './io.js';
import { proxyFromEnv } from './proxy-env.js';
import { withRuntimeLimit } from './run-session.js';

export interface ExecuteOptions {
  /** Runs the job instead of runJob (a queue worker: `pdl run --queue`); returns the summary the exit code follows. */
  run?: ((job: ResolvedJob, options: RunOptions) => Promise<RunSummary>) | undefined;
  reporter: string | undefined;
  quiet: boolean;
  verbose: boolean;
  failFast: boolean;
  /** Stop cleanly (like SIGINT, progress saved) after this many milliseconds; the run then exits 8. */
  maxRuntimeMs?: number | undefined;
  /** Absolute path: write a JSON report of the run there, whatever its end. */
  reportPath?: string | undefined;
  /**
   * Called with the summary once the run ended (before the reporter's summary): `pdl lock`/`pin` read the results,
   * `run --frozen` checks them against the lock. A PdlError it throws becomes the exit code (and the report's error).
   */
  afterRun?: ((summary: RunSummary, exitCode: number) => Promise<void>) | undefined;
  /** Record what was learned per file in the output root's state file (see RunOptions.keepState). */
  keepState?: boolean | undefined;
}

export function reporterKind(value: string | undefined, io: CliIO): ReporterKind {
  if (value === undefined) return defaultReporterKind(io.stderr, io.env);
  if (value === 'tty' || value === 'plain' || value === 'json') return value;
  throw new UsageError(`--reporter: expected tty, plain or json, got "${value}"`);
}

export async function execute(job: ResolvedJob, options: ExecuteOptions, io: CliIO): Promise<number> {
  const kind = reporterKind(options.reporter, io);
  const proxy = proxyFromEnv(io.env);
  const reporter = await createReporter(kind, {
    out: io.stdout,
    err: io.stderr,
    quiet: options.quiet,
    verbose: options.verbose,
    // Log lines from cron and CI carry a time; a person at a terminal does not need one.
    timestamps: kind === 'plain' && io.stderr.isTTY !== true,
  });
  const events = new EngineEmitter();
  reporter.attach(events);
  const limit = withRuntimeLimit(io.signal, options.maxRuntimeMs);
  const startedAt = new Date();
  let summary: RunSummary;
  try {
    summary = await (options.run ?? runJob)(job, { events, proxy, signal: limit.signal, failFast: options.failFast, keepState: options.keepState === true });
  } catch (error) {
    const failure = error instanceof PdlError ? error : undefined;
    const exitCode = failure?.exitCode ?? EXIT_CODES.someFailed;
    // The live display holds the event loop open until it is ended.
    await reporter.end(emptySummary(), exitCode).catch(() => undefined);
    if (options.reportPath !== undefined) {
      const report = buildRunReport({
        job,
        summary: emptySummary(),
        startedAt,
        finishedAt: new Date(),
        exitCode,
        error: { code: failure?.code ?? 'E_INTERNAL', message: error instanceof Error ? error.message : String(error) },
      });
      // The run's own error is what the user needs to see; a report that cannot be written is secondary here.
      await writeRunReport(options.reportPath, report).catch(() => undefined);
    }
    throw error;
  } finally {
    limit.clear();
  }
  let exitCode = exitCodeForRun(summary);
  let failure: PdlError | undefined;
  try {
    // Before the reporter's summary, which states the exit code (--reporter json): a frozen check may change it.
    await options.afterRun?.(summary, exitCode);
  } catch (error) {
    if (!(error instanceof PdlError)) {
      await reporter.end(summary).catch(() => undefined);
      throw error;
    }
    failure = error;
    exitCode = error.exitCode;
  }
  await reporter.end(summary, exitCode);
  if (options.reportPath !== undefined) {
    const error = failure === undefined ? {} : { error: { code: failure.code, message: failure.message } };
    await writeRunReport(options.reportPath, buildRunReport({ job, summary, startedAt, finishedAt: new Date(), exitCode, ...error }));
  }
  if (failure !== undefined) throw failure;
  return exitCode;
}

function emptySummary(): RunSummary {
  return { files: [], done: 0, skipped: 0, unchanged: 0, failed: 0, interrupted: 0, transferred: 0, elapsedMs: 0, speed: 0, stopped: undefined };
}
