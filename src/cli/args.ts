/**
 * Command-line parsing on node:util parseArgs, with pdl's usage errors (exit 2) instead of Node's TypeErrors.
 * Every option of every command is declared once in OPTIONS, with one meaning; a command picks the ones it supports,
 * so `--connections` or `--max-runtime` mean the same wherever they are accepted, and help texts come from here.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { quantityProblem, RATE_RULE } from '../job/rules.js';
import { parseRate } from '../job/units.js';

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in help: `<n>`, `<size>`. */
  value?: string;
  /** One line for help texts. */
  help: string;
}

export const OPTIONS = {
  dir: { type: 'string', value: '<path>', help: 'output root (overrides defaults.dir; relative to the current folder)' },
  output: { type: 'string', short: 'o', value: '<path>', help: "output file, or an existing folder (default: the URL's file name, here)" },
  files: { type: 'string', value: '<n>', help: 'files in flight at once (limits.files)' },
  connections: { type: 'string', short: 'c', value: '<n>', help: 'byte-range connections per file (each file\'s connections; 1 = never split)' },
  'max-connections': { type: 'string', value: '<n>', help: 'open connections in total (limits.connections)' },
  rate: { type: 'string', value: '<size>', help: 'cap on the total rate, e.g. 20MiB (per second); 0 = unlimited' },
  timeout: { type: 'string', value: '<dur>', help: 'drop and retry a connection silent this long (default 30s)' },
  retries: { type: 'string', value: '<n>', help: 'attempts per request after the first (default 5)' },
  'min-split-size': { type: 'string', value: '<size>', help: 'never split into ranges smaller than this (default 256KiB; splits follow measured speed)' },
  checksum: { type: 'string', value: '<alg:hex>', help: 'sha256 | sha512 | sha1 | md5, verified before the file is presented' },
  mirror: { type: 'string', multiple: true, value: '<url>', help: 'another place serving the same file (repeatable); see `urls:`' },
  header: { type: 'string', short: 'H', multiple: true, value: '<h>', help: "request header 'Name: value' (repeatable)" },
  'if-exists': { type: 'string', value: '<mode>', help: 'resume | skip | overwrite | fail | newer (default resume)' },
  identity: { type: 'string', value: '<file>', help: 'sftp: private key file (default: the SSH agent)' },
  'known-hosts': { type: 'string', value: '<file>', help: 'sftp: trusted host keys (default ~/.ssh/known_hosts)' },
  'password-env': { type: 'string', value: '<VAR>', help: 'sftp/ftp: the environment variable holding the password (never the password itself)' },
  only: { type: 'string', multiple: true, value: '<glob>', help: 'only output paths matching the glob (repeatable; braces, [classes], !negation)' },
  'fail-fast': { type: 'boolean', help: 'stop everything at the first failed file' },
  newer: { type: 'boolean', help: 're-check existing files with the server, fetch only what changed (ifExists: newer)' },
  frozen: { type: 'boolean', help: 'check every file against <job>.lock.yaml (pdl lock); drift is exit 3' },
  'dry-run': { type: 'boolean', help: 'print the resolved plan and exit without touching the network' },
  'max-runtime': { type: 'string', value: '<dur>', help: 'stop cleanly after this long (e.g. 50m), progress saved; exit code 8' },
  report: { type: 'string', value: '<path>', help: 'write a JSON report of the run there (also when it fails or is stopped)' },
  reporter: { type: 'string', value: '<kind>', help: 'tty | plain | json (default: tty on a terminal, plain otherwise)' },
  quiet: { type: 'boolean', short: 'q', help: 'only failures and the final summary' },
  verbose: { type: 'boolean', short: 'v', help: 'more detail; full errors with stacks' },
  force: { type: 'boolean', help: 'replace files that exist' },
  shard: { type: 'string', value: '<i/n>', help: 'only the files of shard i of n (1-based), by a stable hash of each output path' },
  'shard-from-env': { type: 'boolean', help: 'the shard from JOB_COMPLETION_INDEX (0-based, Kubernetes Indexed Job) or PDL_SHARD_INDEX' },
  'shard-total': { type: 'string', value: '<n>', help: 'with --shard-from-env: the number of shards (default: PDL_SHARD_TOTAL)' },
  queue: { type: 'string', value: '<url>', help: 'share the job with other workers through Redis: redis://host:port/db or rediss://' },
  json: { type: 'boolean', help: 'print one JSON object' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** What each command accepts: the same option means the same thing in every command that takes it. */
export const COMMAND_OPTIONS = {
  run: [
    'dir', 'files', 'connections', 'max-connections', 'rate', 'timeout', 'retries', 'min-split-size', 'only',
    'fail-fast', 'newer', 'frozen', 'dry-run', 'max-runtime', 'report', 'reporter', 'quiet', 'verbose',
    'shard', 'shard-from-env', 'shard-total', 'queue',
  ],
  get: [
    'output', 'connections', 'rate', 'checksum', 'mirror', 'header', 'timeout', 'retries', 'min-split-size', 'if-exists',
    'identity', 'known-hosts', 'password-env', 'dry-run', 'max-runtime', 'report', 'reporter', 'quiet', 'verbose',
  ],
  plan: ['dir', 'only', 'newer', 'verbose', 'shard', 'shard-from-env', 'shard-total'],
  status: ['dir', 'queue', 'json', 'verbose'],
  // lock and pin run the job like `pdl run`; flags that would make a partial or unchecked lock are left out.
  lock: ['dir', 'files', 'connections', 'max-connections', 'rate', 'timeout', 'retries', 'min-split-size', 'newer', 'reporter', 'quiet', 'verbose'],
  validate: ['verbose'],
  schema: [],
  init: ['force'],
} as const satisfies Record<string, readonly OptionName[]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(
  command: string,
  argv: string[],
  names: readonly OptionName[],
  positionals: { min: number; max: number; names: string },
): Parsed {
  const options: ParseOptions = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) {
    const spec: OptionSpec = OPTIONS[name];
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as Parsed;
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

/** Help lines for `names`, aligned; `notes` adds a command-specific remark (a default) after an option's text. */
export function optionsHelp(names: readonly OptionName[], notes: Partial<Record<OptionName, string>> = {}): string {
  const rows = names.map((name) => {
    const spec: OptionSpec = OPTIONS[name];
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, `${spec.help}${notes[name] ? ` ${notes[name]}` : ''}`] as const;
  });
  rows.push(['-h, --help', 'this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}\n`).join('');
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
  const problem = quantityProblem(RATE_RULE, String(value));
  if (problem !== undefined) throw new UsageError(`--rate: ${problem}`);
  return parseRate(String(value));
}

export function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
}
