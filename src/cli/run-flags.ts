/**
 * The flags every command that runs a job reads the same way (run, get, lock, pin, plan): each is turned into a
 * job override or an execute option here, once, with "--flag: expected …, got …" messages.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { MIN_SPLIT_SIZE, SPLIT_EXPECTED, TIMEOUT, TIMEOUT_EXPECTED } from '../job/rules.js';
import { parseDuration, parseSize } from '../job/units.js';
import { intFlag, listFlag, rateFlag, stringFlag, unitFlag, type Parsed } from './args.js';
import type { JobOverrides } from './job-overrides.js';

export function overridesOf(values: Parsed['values']): JobOverrides {
  return {
    files: intFlag('files', values.files, 1, 1024),
    maxConnections: intFlag('max-connections', values['max-connections'], 1, 1024),
    rate: rateFlag(values.rate),
    only: listFlag(values.only),
    newer: values.newer === true,
    connections: intFlag('connections', values.connections, 1, 64),
    retries: intFlag('retries', values.retries, 0, 100),
    timeoutMs: bounded('timeout', unitFlag('timeout', values.timeout, parseDuration), TIMEOUT, TIMEOUT_EXPECTED, values.timeout),
    minSplitSize: bounded('min-split-size', unitFlag('min-split-size', values['min-split-size'], parseSize), MIN_SPLIT_SIZE, SPLIT_EXPECTED, values['min-split-size']),
  };
}

/** Out of range: the same words as for the job file's key, so a flag and its key never describe a limit apart. */
function bounded(name: string, n: number | undefined, range: { min: number; max: number }, expected: string, raw: unknown): number | undefined {
  if (n === undefined || (n >= range.min && n <= range.max)) return n;
  throw new UsageError(`--${name}: expected ${expected}, got "${String(raw)}"`);
}

/** `--max-runtime` in milliseconds. */
export function maxRuntimeOf(values: Parsed['values']): number | undefined {
  const ms = unitFlag('max-runtime', values['max-runtime'], parseDuration);
  // setTimeout cannot wait longer than 2^31-1 ms (about 24 days): it would fire at once.
  if (ms !== undefined && (ms === 0 || ms > 2 ** 31 - 1)) {
    throw new UsageError(`--max-runtime: expected a duration above 0 and at most 24 days, got "${String(values['max-runtime'])}"`);
  }
  return ms;
}

/** The report's absolute path; its folder must exist now, not only after an hours-long run. */
export async function reportPathOf(values: Parsed['values'], cwd: string): Promise<string | undefined> {
  const report = stringFlag(values.report);
  if (report === undefined) return undefined;
  const path = resolve(cwd, report);
  const folder = await stat(dirname(path)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UsageError(`--report: ${dirname(path)} is not an existing folder`);
  return path;
}
