/**
 * The `ssh:` and `ftp:` blocks of a job resolved for one file: the file's keys over `defaults`, paths made absolute
 * (relative to the job file's folder, `~` expanded), passwords and passphrases expanded from `${VARIABLE}` only and
 * handed back as secrets to mask. A block that does not fit the URL's scheme is an error, not silently ignored.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { expandEnv, type Env } from './env.js';
import type { ResolvedFtp, ResolvedSsh } from './resolved.js';
import type { DefaultsInput, FileInput } from './schema.js';
import type { PathIssue } from './suggest.js';

type Path = (string | number)[];
type SshInput = NonNullable<DefaultsInput['ssh']>;

export interface AccessContext {
  env: Env;
  baseDir: string;
  home: string;
}

export interface RemoteAccess {
  settings: { ssh?: ResolvedSsh; ftp?: ResolvedFtp };
  secrets: string[];
}

export function resolveRemoteAccess(
  protocol: string,
  defaults: DefaultsInput,
  file: FileInput | { url: string },
  base: Path,
  context: AccessContext,
  issues: PathIssue[],
): RemoteAccess {
  const own = file as FileInput;
  const secrets: string[] = [];
  const secret = (text: string | undefined, path: Path): string | undefined => {
    if (text === undefined) return undefined;
    // The schema admits only `${NAME}`: expanded even where URLs are taken literally (`pdl get --password-env`).
    const expanded = expandEnv(text, context.env);
    expanded.problems.forEach((message) => issues.push({ path, message }));
    secrets.push(...expanded.secrets);
    return expanded.problems.length > 0 ? undefined : expanded.value;
  };
  // A problem is reported where the value was written: the file's block, or `defaults`.
  const where = (key: 'ssh' | 'ftp', field: string): Path =>
    (own[key] as Record<string, unknown> | undefined)?.[field] !== undefined ? [...base, key, field] : ['defaults', key, field];
  if (own.ssh !== undefined && protocol !== 'sftp:') issues.push({ path: [...base, 'ssh'], message: `\`ssh\` applies to sftp:// URLs only, this one is ${protocol.slice(0, -1)}` });
  if (own.ftp !== undefined && protocol !== 'ftp:' && protocol !== 'ftps:') issues.push({ path: [...base, 'ftp'], message: `\`ftp\` applies to ftp:// and ftps:// URLs only, this one is ${protocol.slice(0, -1)}` });
  if (protocol === 'sftp:') {
    const ssh: SshInput = { ...defaults.ssh, ...own.ssh };
    const identity = ssh.identity === undefined ? undefined : localPath(ssh.identity, context);
    const password = secret(ssh.password, where('ssh', 'password'));
    const settings: ResolvedSsh = {
      identity,
      passphrase: secret(ssh.passphrase, where('ssh', 'passphrase')),
      password,
      knownHosts: localPath(ssh.knownHosts ?? '~/.ssh/known_hosts', context),
      agent: identity === undefined && password === undefined ? context.env.SSH_AUTH_SOCK || undefined : undefined,
    };
    return { settings: { ssh: settings }, secrets };
  }
  if (protocol === 'ftp:' || protocol === 'ftps:') {
    const ftp = { ...defaults.ftp, ...own.ftp };
    return { settings: { ftp: { password: secret(ftp.password, where('ftp', 'password')) } }, secrets };
  }
  return { settings: {}, secrets };
}

function localPath(written: string, context: AccessContext): string {
  if (written === '~') return context.home;
  if (written.startsWith('~/')) return join(context.home, written.slice(2));
  return isAbsolute(written) ? written : resolve(context.baseDir, written);
}
