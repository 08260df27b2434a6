/**
 * Human-readable numbers for the reporters: sizes in binary units, speeds, durations and ETAs.
 * Pure and total: odd inputs (NaN, negative, Infinity) give a placeholder instead of throwing,
 * because a reporter must never take a run down over a bad progress figure.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units with one decimal: `512 B`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '? B';
  if (Math.round(n) < 1024) return `${Math.round(n)} B`;
  let value = n / 1024;
  let unit = 1;
  // Promote on the rounded value so we never print "1024.0 KiB".
  while (unit < UNITS.length - 1 && Math.round(value * 10) / 10 >= 1024) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A size the engine may not know yet (no Content-Length). */
export function formatSize(n: number | undefined): string {
  return n === undefined ? 'size unknown' : formatBytes(n);
}

/** Bytes per second: `12.3 MiB/s`. */
export function formatSpeed(bps: number): string {
  if (!Number.isFinite(bps) || bps < 0) return '0 B/s';
  return `${formatBytes(bps)}/s`;
}

/** `850ms`, `12.3s`, `4m05s`, `1h02m`. Each branch rounds first so no unit ever reads 60 or 1000. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0ms';
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad2(seconds % 60)}s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
}

/**
 * Time left at the current speed, in whole seconds under a minute (`50s`), else like formatDuration.
 * `--` when it cannot be known: unknown total or no measurable speed.
 */
export function formatEta(remaining: number | undefined, speed: number): string {
  if (remaining === undefined || !Number.isFinite(remaining)) return '--';
  if (remaining <= 0) return '0s';
  if (!Number.isFinite(speed) || speed <= 0) return '--';
  const seconds = Math.ceil(remaining / speed);
  if (seconds < 60) return `${seconds}s`;
  return formatDuration(seconds * 1000);
}

/** A byte range in the unit of its end: `123.0–456.0 MiB` (end exclusive, as the engine reports it). */
export function formatRange(start: number, end: number): string {
  const endText = formatBytes(end);
  const unit = endText.slice(endText.lastIndexOf(' ') + 1);
  const exponent = Math.max(0, UNITS.findIndex((u) => u === unit));
  const from = Number.isFinite(start) && start > 0 ? start : 0;
  const startText = exponent === 0 ? String(Math.round(from)) : (from / 1024 ** exponent).toFixed(1);
  return `${startText}–${endText}`;
}

/** `12.0 MiB of 40.0 MiB`, or just the first when the total is unknown. */
export function formatProgress(done: number, total: number | undefined): string {
  return total === undefined ? formatBytes(done) : `${formatBytes(done)} of ${formatBytes(total)}`;
}

/** One printable line: control characters (ANSI escapes in a server's reason text, newlines) neutralised. */
export function oneLine(text: string): string {
  return String(text).replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
