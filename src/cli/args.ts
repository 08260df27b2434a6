/**
 * Command-line parsing on node:util parseArgs, with pdl's usage errors (exit 2) instead of Node's TypeErrors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { rateSchema } from '../job/schema.js';
import { parseRate } from '../job/units.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], options: Options, positionals: { min: number; max: number; names: string }): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error);
    throw new UsageError(`${command}: ${message}. See 'pdl ${command} --help'.`);
  }
  if (parsed.values.help) return parsed;
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`${command}: missing ${positionals.names}. See 'pdl ${command} --help'.`);
  if (count > positionals.max) {
    throw new UsageError(`${command}: unexpected argument '${parsed.positionals[positionals.max]}'. See 'pdl ${command} --help'.`);
  }
  return parsed;
}

/** A whole number in [min, max] from a flag. */
export function intFlag(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name}: expected a whole number from ${min} to ${max}, got "${text}"`);
  }
  return Number(text);
}

/** Run a unit parser (size, duration) on a flag value and turn its error into a usage error. */
export function unitFlag(name: string, value: unknown, parser: (text: string) => number): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parser(String(value));
  } catch (error) {
    throw new UsageError(`--${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `--rate`: checked by the job file's own rule for `limits.rate`, so the flag and the key accept the same values. */
export function rateFlag(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const checked = rateSchema.safeParse(String(value));
  if (!checked.success) throw new UsageError(`--rate: ${checked.error.issues[0]?.message ?? 'invalid rate'}`);
  return parseRate(String(value));
}

export function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
}
