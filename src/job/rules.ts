/**
 * The job file's rules that need no zod: names, bounds, defaults, patterns and the wording of quantities. The schema
 * (schema.ts) is built from them, and the code that must not load zod (the plain-job fast path, the CLI's flags, the
 * resolver) checks with the very same definitions.
 */
import { describeValue } from './said.js';
import {
  DURATION_PATTERN, KiB, parseDuration, parseRate, parseSize, QuantityError, RATE_PATTERN, SIZE_PATTERN, spellDuration, spellSize, TiB,
} from './units.js';

export const IF_EXISTS = ['resume', 'skip', 'overwrite', 'fail', 'newer'] as const;

/** Hex digits per algorithm. */
export const CHECKSUM_HEX_LENGTH = { sha256: 64, sha512: 128, sha1: 40, md5: 32 } as const;

/** Headers pdl sets itself: framing, connection management and the ranges it plans. */
export const MANAGED_HEADERS = [
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te',
  'trailer', 'expect', 'range', 'if-range', 'accept-encoding',
] as const;

/** What a job means when it says nothing. */
export const JOB_DEFAULTS = {
  dir: './downloads', connections: 8, minSplitSize: 256 * KiB, retries: 5, timeout: 30_000, ifExists: 'resume',
} as const;
export const LIMIT_DEFAULTS = { files: 4, connections: 16, perHost: 8, rate: 0 } as const;

/** Bounds, in bytes and milliseconds. */
export const MIN_SPLIT_SIZE = { min: 64 * KiB, max: TiB } as const;
export const TIMEOUT = { min: 100, max: 24 * 3_600_000 } as const;
/** 0 is unlimited; above 1TiB/s no limit could ever be felt, and a bound keeps every rate exact. */
const RATE = { min: KiB, max: TiB } as const;

/** Integer settings: [min, max]. */
export const CONNECTIONS = { min: 1, max: 64 } as const;
export const RETRIES = { min: 0, max: 100 } as const;
export const PRIORITY = { min: -1_000_000, max: 1_000_000 } as const;
/** `limits.files`, `limits.connections`, `limits.perHost`. */
export const LIMIT_COUNT = { min: 1, max: 1024 } as const;

/** Mirrors one file entry may list. */
export const MAX_MIRRORS = 32;

/** A folder path (`defaults.dir`, `cache`): not empty, no NUL. */
export const FOLDER_PATTERN = /^[^\0]*$/;
export const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const HEADER_VALUE_PATTERN = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Algorithms a checksum list (`sha256:file:<url>`) may use: the ones release lists are published with. */
const CHECKSUM_LIST_ALGORITHMS = ['sha256', 'sha512'] as const;

// The list's URL is checked by resolve.ts after ${VAR} expansion, like `url:`.
export const checksumPattern = new RegExp(
  `^(${Object.entries(CHECKSUM_HEX_LENGTH).map(([algorithm, n]) => `${algorithm}:[0-9a-fA-F]{${n}}`).join('|')}` +
    `|(${CHECKSUM_LIST_ALGORITHMS.join('|')}):file:\\S+)$`,
);

/** A size, duration or rate: an integer, or a string of the pattern whose parsed value is within the bounds. */
export interface QuantityRule {
  pattern: string;
  parse: (value: string | number) => number;
  /** The sentence after "expected", e.g. `a size from 64KiB to 1TiB such as 4MiB`. */
  expected: string;
  min: number;
  max: number;
  /** 0 is allowed below `min` (rate: unlimited). */
  zero?: boolean;
}

const SPLIT_RANGE = `from ${spellSize(MIN_SPLIT_SIZE.min)} to ${spellSize(MIN_SPLIT_SIZE.max)}`;
const TIMEOUT_RANGE = `from ${spellDuration(TIMEOUT.min)} to ${spellDuration(TIMEOUT.max)}`;
const RATE_RANGE = `from ${spellSize(RATE.min)}/s to ${spellSize(RATE.max)}/s`;
export { RATE_RANGE, SPLIT_RANGE, TIMEOUT_RANGE };
/** What `minSplitSize` and `timeout` expect, for the key and for its flag alike. */
export const SPLIT_EXPECTED = `a size ${SPLIT_RANGE} such as 4MiB`;
export const TIMEOUT_EXPECTED = `a duration ${TIMEOUT_RANGE} such as 30s`;

export const SPLIT_SIZE_RULE: QuantityRule = { pattern: SIZE_PATTERN, parse: parseSize, ...MIN_SPLIT_SIZE, expected: SPLIT_EXPECTED };
export const TIMEOUT_RULE: QuantityRule = { pattern: DURATION_PATTERN, parse: parseDuration, ...TIMEOUT, expected: TIMEOUT_EXPECTED };
export const RATE_RULE: QuantityRule = {
  pattern: RATE_PATTERN, parse: parseRate, ...RATE, zero: true, expected: `0 (unlimited) or a rate ${RATE_RANGE} such as 50MiB`,
};

/** The one sentence every problem of a quantity is worded with. */
export function quantityExpected(rule: QuantityRule, value: unknown): string {
  return `expected ${rule.expected}, got ${describeValue(value)}`;
}

/** What is wrong with `value` as this quantity, worded as the schema words it; undefined when it is valid. */
export function quantityProblem(rule: QuantityRule, value: unknown): string | undefined {
  const inRange = (n: number) => (n >= rule.min && n <= rule.max) || (rule.zero === true && n === 0);
  if (typeof value === 'number') return Number.isSafeInteger(value) && inRange(value) ? undefined : quantityExpected(rule, value);
  if (typeof value !== 'string' || !new RegExp(rule.pattern).test(value)) return quantityExpected(rule, value);
  let parsed: number;
  try {
    parsed = rule.parse(value);
  } catch (error) {
    // A fraction of a byte or millisecond (`"1.5"`) says why; a number that overflows once its unit is applied
    // (`99999999999999999999h`) is simply out of range.
    const detail = error instanceof QuantityError && !error.tooLarge ? error.detail : undefined;
    return `${quantityExpected(rule, value)}${detail === undefined ? '' : ` (${detail})`}`;
  }
  return inRange(parsed) ? undefined : quantityExpected(rule, value);
}
