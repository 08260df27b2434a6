/**
 * The live display as data: a pure function from a DisplayState and the terminal's size to the lines drawn.
 *
 * Two promises to the user: the header is always the first line and always on screen (the frame never has more
 * lines than the terminal has rows, less one for the cursor, and never more than MAX_LINES), and no line is
 * wider than the terminal. When a line is too wide the path goes first, then detail; speed and ETA stay.
 */
import { formatBytes, formatEta, formatProgress, formatRange, formatSpeed } from './format.js';
import { FAILED_SLOTS, FILE_SLOTS, type DisplayState, type FileState, type RunPhase } from './tty-state.js';

/** The display never exceeds this many lines, whatever the job size or terminal height. */
export const MAX_LINES = 20;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** A path is never cut shorter than this while there is detail left to drop instead. */
const MIN_PATH = 12;

export type Tone = 'active' | 'ok' | 'failed' | 'stopped' | 'dim';

export interface Line {
  indent: number;
  glyph: string;
  /** How the glyph is coloured. */
  tone: Tone;
  text: string;
}

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** What a line looks like on screen, colours aside. */
export function lineText(line: Line): string {
  return `${' '.repeat(line.indent)}${line.glyph} ${line.text}`;
}

export function viewFrame(state: DisplayState, size: TerminalSize, tick = 0): Line[] {
  const columns = Math.max(1, Math.floor(size.columns));
  const make = (indent: number, glyph: string, tone: Tone, variants: string[], path?: string): Line => {
    const width = columns - indent - glyph.length - 1;
    return { indent, glyph, tone, text: path === undefined ? fitFirst(variants, width) : fitWithPath(path, variants, width) };
  };
  // One row stays free for the cursor: a frame as tall as the terminal scrolls its first line away.
  let left = Math.max(0, Math.min(MAX_LINES, Math.floor(size.rows) - 1) - 1);
  const lines = [header(state, tick, make)];

  const { done, skipped, failed, interrupted } = state.files;
  const doneLine = done + skipped + failed + interrupted > 0 && left > 0;
  if (doneLine) left -= 1;
  // Failures share the screen with files in flight: they get at most half of it while the run goes on.
  const failureRoom = state.phase.kind === 'running' && state.active.length > 0 ? Math.floor(left / 2) : left;
  const shownFailures = Math.min(state.failures.length, FAILED_SLOTS, failureRoom);
  if (doneLine) lines.push(make(2, '›', 'dim', [doneText(state, shownFailures)]));
  for (const failure of state.failures.slice(0, shownFailures)) lines.push(make(2, '✖', 'failed', [failure]));
  left -= shownFailures;

  if (left <= 0 || state.active.length === 0) return lines;
  const drawn = state.active.length <= Math.min(FILE_SLOTS, left) ? state.active.length : Math.min(FILE_SLOTS, left - 1);
  let spare = left - drawn - (drawn < state.active.length ? 1 : 0);
  for (const file of state.active.slice(0, drawn)) {
    lines.push(make(2, '↓', 'active', fileVariants(file), file.path));
    const shown = file.connections.length > 1 ? Math.min(file.connections.length, spare) : 0;
    spare -= shown;
    for (const c of file.connections.slice(0, shown)) lines.push(make(4, '›', 'dim', connectionVariants(c)));
  }
  const hidden = state.active.length - drawn;
  if (hidden > 0) lines.push(make(2, '…', 'dim', [drawn === 0 ? `${hidden} files in flight` : `and ${hidden} more in flight`]));
  return lines;
}

type Make = (indent: number, glyph: string, tone: Tone, variants: string[], path?: string) => Line;

function header(state: DisplayState, tick: number, make: Make): Line {
  const { files, bytes } = state;
  const count = `${files.done + files.skipped}/${files.total} files`;
  // "of" only when something is left to fetch; "≥" while some sizes are still unknown.
  const whole = bytes.known <= bytes.done ? formatBytes(bytes.done) : `${formatBytes(bytes.done)} of ${bytes.unsized === 0 ? '' : '≥'}${formatBytes(bytes.known)}`;
  if (state.phase.kind !== 'running') {
    const { glyph, tone, label } = ending(state.phase);
    return make(0, glyph, tone, [
      `${label} · ${count} done · ${whole}`, `${label} · ${count} · ${whole}`, `${label} · ${count} · ${formatBytes(bytes.done)}`, `${label} · ${count}`, label,
    ]);
  }
  const speed = formatSpeed(state.speed);
  const eta = `ETA ${runEta(state)}`;
  const percent = bytes.unsized === 0 && bytes.known > 0 ? `${Math.floor((bytes.done / bytes.known) * 100)}%` : formatBytes(bytes.done);
  const spinner = SPINNER[Math.abs(Math.floor(tick)) % SPINNER.length] ?? SPINNER[0]!;
  return make(0, spinner, 'active', [
    `Downloading ${count} · ${whole} · ${speed} · ${eta}`,
    `${count} · ${whole} · ${speed} · ${eta}`,
    `${count} · ${percent} · ${speed} · ${eta}`,
    `${count} · ${speed} · ${eta}`,
    `${speed} · ${eta}`,
  ]);
}

/** Time left at this run's speed; while some sizes are unknown, estimated from the average known size (`~`). */
function runEta(state: DisplayState): string {
  const { bytes } = state;
  if (bytes.unsized === 0) return formatEta(bytes.known - bytes.done, state.speed);
  if (bytes.sized === 0) return '--';
  const estimate = bytes.known + (bytes.unsized * bytes.known) / bytes.sized;
  const eta = formatEta(estimate - bytes.done, state.speed);
  return eta === '--' ? eta : `~${eta}`;
}

function ending(phase: Exclude<RunPhase, { kind: 'running' }>): { glyph: string; tone: Tone; label: string } {
  switch (phase.kind) {
    case 'done':
      return { glyph: '✔', tone: 'ok', label: 'Done' };
    case 'failed':
      return { glyph: '✖', tone: 'failed', label: 'Failed' };
    case 'stopped': {
      const label = { SIGINT: 'Interrupted (SIGINT)', SIGTERM: 'Stopped (SIGTERM)', 'max-runtime': 'Stopped at --max-runtime', abort: 'Stopped' }[phase.reason];
      return { glyph: '◼', tone: 'stopped', label };
    }
  }
}

function doneText(state: DisplayState, shownFailures: number): string {
  const { done, skipped, failed, interrupted } = state.files;
  const counts = [`${done} done`, ...(skipped > 0 ? [`${skipped} skipped`] : []), ...(interrupted > 0 ? [`${interrupted} interrupted`] : [])];
  const hidden = failed - shownFailures;
  const more = shownFailures > 0 ? `and ${hidden} more failed` : `${hidden} failed`;
  return [counts.join(', '), ...(hidden > 0 ? [more] : [])].join(' · ');
}

function fileVariants(file: FileState): string[] {
  const percent = file.size !== undefined && file.size > 0 ? `${Math.floor((file.bytes / file.size) * 100)}%` : undefined;
  const progress = `${formatProgress(file.bytes, file.size)}${percent === undefined ? '' : ` (${percent})`}`;
  const rate = `${formatSpeed(file.speed)} · ETA ${formatEta(file.size === undefined ? undefined : file.size - file.bytes, file.speed)}`;
  const conns = file.connections.length > 1 ? ` · ${file.connections.length} conns` : '';
  const note = file.note === undefined ? '' : ` · ${file.note}`;
  const compact = percent ?? formatBytes(file.bytes);
  return [`${progress} · ${rate}${conns}${note}`, `${progress} · ${rate}${note}`, `${compact} · ${rate}${note}`, `${compact} · ${rate}`];
}

function connectionVariants(c: FileState['connections'][number]): string[] {
  const length = c.end - c.start;
  const percent = length > 0 ? Math.floor((Math.min(Math.max(c.position - c.start, 0), length) / length) * 100) : 100;
  const range = c.end >= 0 ? `bytes ${formatRange(c.start, c.end)}  ` : '';
  return [`conn ${c.label}  ${range}${percent}%  ${formatSpeed(c.speed)}`, `conn ${c.label}  ${percent}%  ${formatSpeed(c.speed)}`];
}

const width = (text: string): number => [...text].length;

/** The first variant that fits, else the last one cut with an ellipsis. */
export function fitFirst(variants: string[], room: number): string {
  const fitting = variants.find((v) => width(v) <= room);
  return fitting ?? cutEnd(variants[variants.length - 1] ?? '', room);
}

/**
 * `path  detail`, with the first detail variant that leaves the path MIN_PATH characters; the path is shortened
 * from its start (the file name is the end of it). When even the shortest detail leaves less, the path shrinks
 * further and only then is the detail cut.
 */
export function fitWithPath(path: string, variants: string[], room: number): string {
  const detail = variants.find((v) => width(v) + 2 + Math.min(MIN_PATH, width(path)) <= room) ?? variants[variants.length - 1] ?? '';
  const pathRoom = room - width(detail) - 2;
  if (pathRoom < 1) return cutEnd(detail, room);
  return `${cutStart(path, pathRoom)}  ${detail}`;
}

function cutStart(text: string, room: number): string {
  const chars = [...text];
  return chars.length <= room ? text : `…${chars.slice(chars.length - room + 1).join('')}`;
}

function cutEnd(text: string, room: number): string {
  const chars = [...text];
  if (chars.length <= room) return text;
  return room <= 0 ? '' : `${chars.slice(0, room - 1).join('')}…`;
}
