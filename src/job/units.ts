/**
 * Sizes, rates and durations as people write them in job files and on the command line.
 *
 * Sizes: a plain non-negative integer is bytes. With a unit, `KB MB GB TB` are powers of 1000 and
 * `KiB MiB GiB TiB` powers of 1024; single letters `k m g t` (any case) are powers of 1024, as in
 * aria2 and curl. Units are matched case-insensitively. A fraction with a unit rounds DOWN to whole bytes
 * (`1.3k` = 1331); a fraction without one (`1.5`, `1.5B`) is rejected, since bytes do not split.
 * Durations: `ms s m h`; a plain integer is milliseconds; fractions with a unit round down to whole ms.
 * Arithmetic is exact (BigInt), so `4.35MB` is 4350000, not 4349999.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

const SIZE_UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  kb: 1000n,
  mb: 1000n ** 2n,
  gb: 1000n ** 3n,
  tb: 1000n ** 4n,
  kib: 1024n,
  mib: 1024n ** 2n,
  gib: 1024n ** 3n,
  tib: 1024n ** 4n,
  k: 1024n,
  m: 1024n ** 2n,
  g: 1024n ** 3n,
  t: 1024n ** 4n,
};

const DURATION_UNITS: Record<string, bigint> = { '': 1n, ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n };

/** JSON Schema patterns (no flags there, hence the spelled-out cases); they accept exactly what the parsers accept. */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]([iI]?[bB])?|[bB])?\\s*$';
export const RATE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]([iI]?[bB])?|[bB])?\\s*(/\\s*[sS])?\\s*$';
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([mM][sS]|[sSmMhH])?\\s*$';

const SIZE_EXPECTED = 'expected a size such as 4MiB, 512KiB, 1.5GB or a whole number of bytes';
const RATE_EXPECTED = 'expected a rate such as 50MiB (bytes per second, "/s" optional) or 0 for unlimited';
const DURATION_EXPECTED = 'expected a duration such as 30s, 2m, 500ms, 1h or a whole number of milliseconds';

/**
 * Why a size, rate or duration was refused. `detail` is the part after "expected …" (`not negative`, `whole bytes
 * without a unit`, `at most … bytes`); `tooLarge` marks a value too big to count exactly (above 2^53 − 1 once its
 * unit is applied), which callers with tighter bounds report as out of their range.
 */
export class QuantityError extends Error {
  constructor(
    message: string,
    readonly detail: string | undefined,
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = 'QuantityError';
  }
}

/** Bytes from `4MiB`, `1.5GB`, `4m`, `100B`, `4096` or a number. Throws `QuantityError("expected …, got …")`. */
export function parseSize(input: string | number): number {
  return parseQuantity(input, SIZE_UNITS, SIZE_EXPECTED, 'bytes');
}

/** Bytes per second: a size, optionally followed by `/s` (`50MiB/s`). */
export function parseRate(input: string | number): number {
  const text = typeof input === 'string' ? input.replace(/\s*\/\s*s\s*$/i, '') : input;
  return parseQuantity(text, SIZE_UNITS, RATE_EXPECTED, 'bytes', input);
}

/** Milliseconds from `30s`, `2m`, `500ms`, `1h`, `1.5s`, `500` or a number. */
export function parseDuration(input: string | number): number {
  return parseQuantity(input, DURATION_UNITS, DURATION_EXPECTED, 'milliseconds');
}

function parseQuantity(
  input: unknown,
  units: Record<string, bigint>,
  expected: string,
  baseName: string,
  shown: unknown = input,
): number {
  const got = `got ${showInput(shown)}`;
  const fail = (detail?: string, tooLarge = false) =>
    new QuantityError(`${expected}${detail === undefined ? '' : ` (${detail})`}, ${got}`, detail, tooLarge);
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw fail();
    if (input < 0) throw fail('not negative');
    if (!Number.isInteger(input)) throw fail(`whole ${baseName} without a unit`);
    if (input > Number.MAX_SAFE_INTEGER) throw fail(`at most ${Number.MAX_SAFE_INTEGER}`, true);
    return input;
  }
  if (typeof input !== 'string') throw fail();
  const trimmed = input.trim();
  if (trimmed.startsWith('-')) throw fail('not negative');
  const match = /^(\d+)(?:\.(\d+))?\s*([a-z]*)$/i.exec(trimmed);
  const factor = match ? units[(match[3] ?? '').toLowerCase()] : undefined;
  if (!match || factor === undefined) throw fail();
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  // Exact: (whole.fraction × factor) = (wholefraction × factor) / 10^digits, rounded down.
  const scaled = BigInt(whole + fraction) * factor;
  const divisor = 10n ** BigInt(fraction.length);
  if (factor === 1n && scaled % divisor !== 0n) throw fail(`whole ${baseName} without a unit`);
  const result = scaled / divisor;
  if (result > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`at most ${Number.MAX_SAFE_INTEGER} ${baseName}`, true);
  return Number(result);
}

function showInput(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return String(input);
}

/**
 * A size spelled as a user writes it in a job file or a flag, exactly (parseSize reads it back): 65536 → `64KiB`,
 * 1500 → `1500B`. For the bounds in messages; figures shown while running use report/format.ts's formatSize.
 */
export function spellSize(bytes: number): string {
  const units: [number, string][] = [
    [TiB, 'TiB'],
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [KiB, 'KiB'],
  ];
  for (const [size, name] of units) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${name}`;
  }
  return `${bytes}B`;
}

/** A duration spelled exactly as a user writes it (parseDuration reads it back): 86400000 → `24h`, 1500 → `1500ms`. */
export function spellDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${name}`;
  }
  return `${ms}ms`;
}
