/**
 * One SSH connection with its SFTP channel. The host key is checked against known_hosts before anything else is
 * sent: an unknown or changed key ends the handshake, so no credential ever reaches an untrusted host.
 */
import { readFile } from 'node:fs/promises';
import type { Client, ConnectConfig, SFTPWrapper } from 'ssh2';
import { AccessDeniedError, LocalIOError } from '../../errors.js';
import type { ResolvedSsh } from '../../job/resolved.js';
import { messageOf, transientFailure } from '../remote-errors.js';
import { fingerprint, hostLookupName, judgeHostKey, keyTypeOf, loadKnownHosts } from './known-hosts.js';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  settings: ResolvedSsh;
}

export interface SftpSession {
  client: Client;
  sftp: SFTPWrapper;
  /** Set once the connection failed or closed: the session is not reused. */
  broken: boolean;
}

/** `sftp://user@host:port/path` → where to connect; `/~/x` is the path `x` under the user's home. */
export function sshTarget(url: URL, settings: ResolvedSsh): { target: SshTarget; path: string } {
  const path = decodeURIComponent(url.pathname);
  return {
    target: { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 22 : Number(url.port), user: decodeURIComponent(url.username), settings },
    // SFTP resolves relative paths against the login folder, which is the user's home.
    path: path.startsWith('/~/') ? path.slice(3) : path,
  };
}

export async function openSession(target: SshTarget, displayUrl: string, timeoutMs: number, signal: AbortSignal): Promise<SftpSession> {
  signal.throwIfAborted();
  const { Client } = (await import('ssh2')).default;
  const auth = await credentials(target.settings, displayUrl);
  const knownHosts = await loadKnownHosts(target.settings.knownHosts).catch((error: unknown) => {
    throw new LocalIOError(`cannot read known hosts file ${target.settings.knownHosts}: ${messageOf(error)}`, { cause: error, path: target.settings.knownHosts });
  });
  const name = hostLookupName(target.host, target.port);
  let refused: AccessDeniedError | undefined;
  const client = new Client();
  return new Promise<SftpSession>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.end();
      reject(refused ?? mapConnectError(error, displayUrl));
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', fail);
    client.on('close', () => fail(transientFailure('the SSH connection closed during setup', displayUrl)));
    client.on('ready', () => {
      client.sftp((error, sftp) => {
        if (error) return fail(error);
        if (settled) return void client.end();
        settled = true;
        signal.removeEventListener('abort', onAbort);
        const session: SftpSession = { client, sftp, broken: false };
        const broken = () => void (session.broken = true);
        client.on('close', broken);
        client.on('error', broken);
        sftp.on('close', broken);
        resolve(session);
      });
    });
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: Math.max(1000, Math.floor(timeoutMs / 3)),
      keepaliveCountMax: 3,
      ...auth,
      hostVerifier: (key: Buffer) => {
        const verdict = judgeHostKey(knownHosts, name, key);
        if (verdict.kind === 'known') return true;
        refused = hostKeyError(verdict.kind, name, key, target.settings.knownHosts, displayUrl);
        return false;
      },
    };
    client.connect(config);
  });
}

function hostKeyError(kind: 'unknown' | 'changed' | 'revoked', name: string, key: Buffer, file: string, url: string): AccessDeniedError {
  const what = kind === 'unknown' ? 'is not in' : kind === 'changed' ? 'does not match the key recorded in' : 'is revoked in';
  const scan = `ssh-keyscan -t ${keyTypeOf(key)}${name.startsWith('[') ? ` -p ${name.slice(name.lastIndexOf(':') + 1)}` : ''} ${name.replace(/^\[(.*)\]:\d+$/, '$1')} >> ${file}`;
  const advice = kind === 'unknown' ? `; if that fingerprint is the server's, add it: ${scan}` : '; the server may have been replaced, or someone is intercepting the connection';
  return new AccessDeniedError(`host key of ${name} (${keyTypeOf(key)} ${fingerprint(key)}) ${what} ${file}${advice}`, { url });
}

async function credentials(settings: ResolvedSsh, url: string): Promise<Partial<ConnectConfig>> {
  const out: Partial<ConnectConfig> = {};
  // ssh2 would only try the "none" method and report that "all methods failed", which hides the real cause.
  if (settings.identity === undefined && settings.password === undefined && settings.agent === undefined) {
    throw new AccessDeniedError('SSH authentication failed: no identity, password or SSH agent to log in with (--identity, --password-env or SSH_AUTH_SOCK)', { url });
  }
  if (settings.identity !== undefined) {
    try {
      out.privateKey = await readFile(settings.identity);
    } catch (error) {
      throw new LocalIOError(`cannot read identity file ${settings.identity}: ${messageOf(error)}`, { cause: error, path: settings.identity });
    }
    if (settings.passphrase !== undefined) out.passphrase = settings.passphrase;
  }
  if (settings.password !== undefined) out.password = settings.password;
  if (settings.agent !== undefined) out.agent = settings.agent;
  return out;
}

function mapConnectError(error: unknown, url: string): unknown {
  const level = (error as { level?: unknown } | undefined)?.level;
  const message = messageOf(error);
  if (level === 'client-authentication') return new AccessDeniedError(`SSH authentication failed (${message})`, { url, cause: error });
  if (/private key|passphrase|Cannot parse privateKey/i.test(message)) return new AccessDeniedError(`cannot use the identity: ${message}`, { url, cause: error });
  if (level === 'client-timeout') return transientFailure(`SSH handshake timed out`, url, error);
  // Socket errors keep their codes (ECONNREFUSED, ECONNRESET): the engine's network rules judge them.
  if (typeof (error as { code?: unknown } | undefined)?.code === 'string') return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (error !== undefined && (error as { name?: string }).name === 'TimeoutError') return error;
  return transientFailure(`SSH connection failed: ${message}`, url, error);
}
