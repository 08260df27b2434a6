/**
 * `pdl get <url>`: a one-file job built from flags and resolved by the same resolver as job files, so every
 * check (URL, path, headers, checksum) and every engine code path is shared. Errors name the flags, not job keys.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { JobFileError, UsageError } from '../../errors.js';
import { resolveJobObjectLazily } from '../../job/plain-job.js';
import { COMMAND_OPTIONS, intFlag, listFlag, parse, stringFlag } from '../args.js';
import { execute } from '../execute.js';
import { getHelp } from '../help.js';
import type { CliIO } from '../io.js';
import { formatDryRun } from '../dry-run.js';
import { maxRuntimeOf, reportPathOf } from '../run-flags.js';

export async function getCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse('get', argv, COMMAND_OPTIONS.get, { min: 1, max: 1, names: 'the URL' });
  if (values.help) {
    io.stdout.write(getHelp());
    return 0;
  }
  const connections = intFlag('connections', values.connections, 1, 64) ?? 8;
  const retries = intFlag('retries', values.retries, 0, 100);
  const maxRuntimeMs = maxRuntimeOf(values);
  const reportPath = await reportPathOf(values, io.cwd);
  const { dir, path } = await outputOf(stringFlag(values.output), io.cwd);
  const raw = {
    version: 1,
    defaults: {
      dir,
      connections,
      headers: parseHeaders(listFlag(values.header)),
      ...(retries !== undefined ? { retries } : {}),
      ...(values.timeout !== undefined ? { timeout: String(values.timeout) } : {}),
      ...(values['min-split-size'] !== undefined ? { minSplitSize: String(values['min-split-size']) } : {}),
      ...(values['if-exists'] !== undefined ? { ifExists: String(values['if-exists']) } : {}),
      ...remoteAccess(positionals[0]!, { identity: stringFlag(values.identity), knownHosts: stringFlag(values['known-hosts']), passwordEnv: stringFlag(values['password-env']) }),
    },
    limits: { files: 1, connections, perHost: connections, ...(values.rate !== undefined ? { rate: String(values.rate) } : {}) },
    files: [{ ...urlsOf(positionals[0]!, listFlag(values.mirror)), ...(path !== undefined ? { path } : {}), ...(values.checksum !== undefined ? { checksum: String(values.checksum) } : {}) }],
  };
  let job;
  try {
    // Values typed on the command line were already expanded by the shell: no ${VAR} expansion here.
    // The environment still serves --password-env, ~ and the SSH agent's socket.
    job = await resolveJobObjectLazily(raw, { fileName: 'pdl get', baseDir: io.cwd, env: io.env, expandEnv: false });
  } catch (error) {
    if (error instanceof JobFileError) throw new UsageError(error.issues.map((issue) => describeFlag(issue.path, issue.message)).join('\n'));
    throw error;
  }
  if (values['dry-run']) {
    io.stdout.write(formatDryRun(job));
    return 0;
  }
  return execute(
    job,
    { reporter: stringFlag(values.reporter), quiet: values.quiet === true, verbose: values.verbose === true, failFast: false, maxRuntimeMs, reportPath },
    io,
  );
}

async function outputOf(output: string | undefined, cwd: string): Promise<{ dir: string; path: string | undefined }> {
  if (output === undefined) return { dir: cwd, path: undefined };
  const absolute = resolve(cwd, output);
  const isDir = output.endsWith('/') || (await stat(absolute).then((s) => s.isDirectory(), () => false));
  return isDir ? { dir: absolute, path: undefined } : { dir: dirname(absolute), path: basename(absolute) };
}

/** --identity, --known-hosts and --password-env as the job file's `ssh:` or `ftp:` block, by the URL's scheme. */
function remoteAccess(url: string, flags: { identity?: string | undefined; knownHosts?: string | undefined; passwordEnv?: string | undefined }) {
  const scheme = /^([a-z]+):/i.exec(url)?.[1]?.toLowerCase();
  const password = flags.passwordEnv === undefined ? {} : { password: `\${${flags.passwordEnv}}` };
  if (scheme === 'sftp') {
    return { ssh: { ...(flags.identity !== undefined ? { identity: flags.identity } : {}), ...(flags.knownHosts !== undefined ? { knownHosts: flags.knownHosts } : {}), ...password } };
  }
  if (flags.identity !== undefined || flags.knownHosts !== undefined) throw new UsageError(`--identity and --known-hosts apply to sftp:// URLs only`);
  if (scheme === 'ftp' || scheme === 'ftps') return { ftp: password };
  if (flags.passwordEnv !== undefined) throw new UsageError('--password-env applies to sftp://, ftp:// and ftps:// URLs only');
  return {};
}

/** `--mirror`s make the file's `urls:`, the URL first. */
function urlsOf(url: string, mirrors: string[]): { url: string } | { urls: string[] } {
  return mirrors.length === 0 ? { url } : { urls: [url, ...mirrors] };
}

function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header: expected 'Name: value', got "${line}"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

const FLAG_OF: Array<[RegExp, string]> = [
  [/^files\[0\]\.url$/, 'url'],
  [/^files\[0\]\.urls\[0\]$/, 'url'],
  [/^files\[0\]\.urls/, '--mirror'],
  [/^files\[0\]\.path$/, '-o/--output'],
  [/^files\[0\]\.checksum$/, '--checksum'],
  [/^defaults\.headers/, '-H/--header'],
  [/^defaults\.timeout$/, '--timeout'],
  [/^defaults\.minSplitSize$/, '--min-split-size'],
  [/^defaults\.ifExists$/, '--if-exists'],
  [/^defaults\.retries$/, '--retries'],
  [/^limits\.rate$/, '--rate'],
  [/^defaults\.(ssh|ftp)\.password$/, '--password-env'],
  [/^defaults\.ssh\.identity$/, '--identity'],
  [/^defaults\.ssh\.knownHosts$/, '--known-hosts'],
];

/** The resolver speaks job-file keys; a `pdl get` user typed flags. */
function describeFlag(path: string, message: string): string {
  const flag = FLAG_OF.find(([pattern]) => pattern.test(path))?.[1] ?? path;
  const spoken = message
    .replace(/add `path:`/g, 'name the output file with -o/--output')
    .replace(/a relative path inside `dir`/g, 'a file name');
  return `${flag}: ${spoken}`;
}
