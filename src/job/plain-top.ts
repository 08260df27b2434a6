/**
 * The top level of a job (all but `files`) checked by hand when it is of the plain shapes nearly every job has:
 * `version`, `cache`, and `defaults` and `limits` with plain values. Anything else (`ssh:`, `ftp:`, an unknown key, a
 * value of another form, any problem) answers false and takes the full schema, which alone words the issues. It may
 * only ever accept what the schema (schema.ts, which transforms nothing) accepts unchanged.
 */
import {
  CONNECTIONS, FOLDER_PATTERN, HEADER_NAME_PATTERN, HEADER_VALUE_PATTERN, IF_EXISTS, LIMIT_COUNT, MANAGED_HEADERS, quantityProblem,
  RATE_RULE, RETRIES, SPLIT_SIZE_RULE, TIMEOUT_RULE,
} from './rules.js';

type Check = (value: unknown) => boolean;

export const IF_EXISTS_SET: ReadonlySet<unknown> = new Set(IF_EXISTS);
const MANAGED: ReadonlySet<string> = new Set(MANAGED_HEADERS);

export function integerIn(value: unknown, range: { min: number; max: number }): boolean {
  return Number.isSafeInteger(value) && (value as number) >= range.min && (value as number) <= range.max;
}

const folder: Check = (value) => typeof value === 'string' && value.length > 0 && FOLDER_PATTERN.test(value);
const quantity = (rule: typeof RATE_RULE): Check => (value) => quantityProblem(rule, value) === undefined;
const count = (range: { min: number; max: number }): Check => (value) => integerIn(value, range);
const headers: Check = (value) =>
  plainMapping(value) &&
  Object.keys(value).every((name) => {
    const header = value[name];
    return name !== '__proto__' && HEADER_NAME_PATTERN.test(name) && !MANAGED.has(name.toLowerCase()) &&
      typeof header === 'string' && HEADER_VALUE_PATTERN.test(header);
  });

const DEFAULTS: Record<string, Check> = {
  dir: folder,
  connections: count(CONNECTIONS),
  minSplitSize: quantity(SPLIT_SIZE_RULE),
  retries: count(RETRIES),
  timeout: quantity(TIMEOUT_RULE),
  headers,
  ifExists: (value) => IF_EXISTS_SET.has(value),
};
const LIMITS: Record<string, Check> = {
  files: count(LIMIT_COUNT),
  connections: count(LIMIT_COUNT),
  perHost: count(LIMIT_COUNT),
  rate: quantity(RATE_RULE),
};
const TOP: Record<string, Check> = {
  version: (value) => value === 1,
  defaults: (value) => plainSection(value, DEFAULTS),
  limits: (value) => plainSection(value, LIMITS),
  cache: folder,
};

/** True when the schema surely accepts `top` (a job without its `files`) as it is. */
export function plainTop(top: Record<string, unknown>): boolean {
  return Object.hasOwn(top, 'version') && plainSection(top, TOP);
}

/** A plain mapping whose every key is one of `checks` and passes its check. */
function plainSection(value: unknown, checks: Record<string, Check>): boolean {
  if (!plainMapping(value)) return false;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(checks, key) || !checks[key]!(value[key])) return false;
  }
  return true;
}

/**
 * An object literal or parsed YAML: zod also reads inherited keys, non-enumerable ones and getters, which a hand check
 * of own enumerable data would not see, so anything else is left to it.
 */
export function plainMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const key of Object.getOwnPropertyNames(value)) {
    const property = Object.getOwnPropertyDescriptor(value, key)!;
    if (!property.enumerable || !('value' in property) || property.value === undefined) return false;
  }
  return true;
}
