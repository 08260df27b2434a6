/**
 * The end-of-run summary shared by the tty and plain reporters: one totals line, then one line per file that
 * needs the user's attention (failed or interrupted), then what to do about interrupted files.
 */
import type { FileResult, RunSummary } from '../engine/events.js';
import { formatBytes, formatDuration, formatSpeed } from './format.js';

export interface SummaryOptions {
  /** List at most this many failed (and, separately, interrupted) files; the rest are counted. */
  limit?: number;
}

export const RESUME_HINT = 'interrupted — run the same command again to resume';
/** When no interrupted file kept anything: promising a resume would be a lie. */
export const RESTART_HINT = 'interrupted — run the same command again; it starts those files over';

export function formatSummary(summary: RunSummary, options: SummaryOptions = {}): string {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const lines = [totalsLine(summary)];
  if (summary.stopped !== undefined) lines.push(`stopped by ${summary.stopped}`);

  const failed = summary.files.filter((file) => file.outcome === 'failed');
  lines.push(...listed(failed, limit, failedLine, 'failed'));

  const interrupted = summary.files.filter((file) => file.outcome === 'interrupted');
  lines.push(...listed(interrupted, limit, interruptedLine, 'interrupted'));
  if (interrupted.length > 0 || summary.interrupted > 0) {
    const lost = interrupted.length > 0 && interrupted.every((file) => file.resumable === false);
    lines.push(lost ? RESTART_HINT : RESUME_HINT);
  }
  return lines.join('\n');
}

function totalsLine(summary: RunSummary): string {
  // Reused files count as done; how many of them needed no download is worth saying.
  const reused = summary.files.filter((file) => file.outcome === 'reused').length;
  const counts = [`${summary.done} done${reused > 0 ? ` (${reused} reused)` : ''}`, `${summary.skipped} skipped`, `${summary.failed} failed`];
  if ((summary.unchanged ?? 0) > 0) counts.splice(1, 0, `${summary.unchanged} unchanged`);
  if (summary.interrupted > 0) counts.push(`${summary.interrupted} interrupted`);
  const bytes = formatBytes(summary.transferred);
  return `${counts.join(', ')}, ${bytes} in ${formatDuration(summary.elapsedMs)} (${formatSpeed(summary.speed)})`;
}

function failedLine(file: FileResult): string {
  const reason = file.error === undefined ? 'failed' : file.error.message;
  const size = file.size === undefined ? '' : ` of ${file.size}`;
  return `FAILED ${file.path}: ${reason} [${file.url}, stopped at ${file.completedBytes}${size} bytes]`;
}

function interruptedLine(file: FileResult): string {
  if (file.resumable !== false) return `interrupted ${file.path}${file.transferred > 0 ? ` (${formatBytes(file.transferred)} fetched this run)` : ''}`;
  const lost = file.transferred > 0 ? `; the ${formatBytes(file.transferred)} fetched this run were discarded` : '';
  return `interrupted ${file.path}: cannot be resumed (the server does not allow byte ranges, or sent no ETag/Last-Modified)${lost}, the next run starts it over`;
}

function listed(files: FileResult[], limit: number, line: (file: FileResult) => string, noun: string): string[] {
  const shown = files.slice(0, Math.max(0, limit)).map(line);
  const hidden = files.length - shown.length;
  if (hidden > 0) shown.push(`… and ${hidden} more ${noun}`);
  return shown;
}
