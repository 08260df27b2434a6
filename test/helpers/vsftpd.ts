/**
 * A real vsftpd for tests: anonymous logins (rooted at a temp folder) and a named local user with a password,
 * explicit TLS offered with a throwaway self-signed certificate, on a free loopback port. The local user is
 * created once (useradd needs root; CI runs as root) and its password set on each start.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { program, requireRoot, startDaemon, type Daemon } from './daemon.js';
import { testCertificate } from './tls.js';

export const FTP_USER = 'pdlftptest';

export interface TestVsftpd {
  /** Folder served to anonymous logins as `/`; the named user sees it at its absolute path. */
  root: string;
  port: number;
  password: string;
  /** PEM of the self-signed certificate: the CA to trust for ftps://. */
  cert: string;
  /** ftp://127.0.0.1:port/name (anonymous). */
  anonymousUrl(name: string, scheme?: 'ftp' | 'ftps'): string;
  /** ftp://pdlftptest@127.0.0.1:port/abs/name. */
  userUrl(name: string): string;
  /** Control connections vsftpd accepted so far (counted from its log). */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * One random password per machine for the test user, kept in a root-only file: test files run in parallel
 * processes, and a password set anew by each start would lock the others out mid-test.
 */
function sharedPassword(): string {
  const path = join(tmpdir(), 'pdl-ftp-test-password');
  // Written whole under a name of our own, then linked into place: a reader never sees a half-written file.
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, `pw-${randomBytes(12).toString('hex')}`, { mode: 0o600 });
  try {
    linkSync(mine, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(mine, { force: true });
  }
  return readFileSync(path, 'utf8');
}

function ensureUser(password: string): void {
  try {
    execFileSync('id', [FTP_USER], { stdio: 'ignore' });
  } catch {
    execFileSync(program('useradd', 'passwd'), ['--no-create-home', '--home-dir', '/', '--shell', '/bin/sh', FTP_USER], { stdio: 'ignore' });
  }
  // vsftpd changes into the user's home at login: it must exist.
  execFileSync(program('usermod', 'passwd'), ['--home', '/', FTP_USER], { stdio: 'ignore' });
  execFileSync(program('chpasswd', 'passwd'), { input: `${FTP_USER}:${password}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
}

/** `maxPerIp`: vsftpd's cap on connections per client address (0, the default here, is none); extra logins get 421. */
export async function startVsftpd(options: { maxPerIp?: number } = {}): Promise<TestVsftpd> {
  requireRoot('the vsftpd test server');
  const vsftpd = program('vsftpd', 'vsftpd');
  const password = sharedPassword();
  ensureUser(password);
  const dir = mkdtempSync(join(tmpdir(), 'pdl-vsftpd-'));
  chmodSync(dir, 0o755);
  const root = join(dir, 'files');
  const empty = join(dir, 'empty');
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(empty, { mode: 0o755 });
  const { cert, key } = testCertificate();
  writeFileSync(join(dir, 'cert.pem'), cert);
  writeFileSync(join(dir, 'key.pem'), key, { mode: 0o600 });
  const config = join(dir, 'vsftpd.conf');
  const lines = (port: number) => [
    'listen=YES',
    'listen_ipv6=NO',
    'listen_address=127.0.0.1',
    `listen_port=${port}`,
    'background=NO',
    'anonymous_enable=YES',
    `anon_root=${root}`,
    'no_anon_password=YES',
    'local_enable=YES',
    'write_enable=NO',
    'chroot_local_user=NO',
    'pam_service_name=vsftpd',
    'userlist_enable=NO',
    'seccomp_sandbox=NO',
    `secure_chroot_dir=${empty}`,
    'max_clients=0',
    `max_per_ip=${options.maxPerIp ?? 0}`,
    'xferlog_enable=YES',
    'xferlog_std_format=NO',
    `vsftpd_log_file=${join(dir, 'vsftpd.log')}`,
    'ssl_enable=YES',
    'allow_anon_ssl=YES',
    'force_local_data_ssl=NO',
    'force_local_logins_ssl=NO',
    'require_ssl_reuse=NO',
    `rsa_cert_file=${join(dir, 'cert.pem')}`,
    `rsa_private_key_file=${join(dir, 'key.pem')}`,
    '',
  ];
  let daemon: Daemon;
  try {
    daemon = await startDaemon(vsftpd, (port) => {
      writeFileSync(config, lines(port).join('\n'));
      return [config];
    }, 'vsftpd');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const origin = (scheme: string) => `${scheme}://127.0.0.1:${daemon.port}`;
  return {
    root,
    port: daemon.port,
    password,
    cert,
    anonymousUrl: (name, scheme = 'ftp') => `${origin(scheme)}/${name}`,
    userUrl: (name) => `ftp://${FTP_USER}@127.0.0.1:${daemon.port}${join(root, name)}`,
    connections: () => {
      try {
        return (readFileSync(join(dir, 'vsftpd.log'), 'utf8').match(/CONNECT: Client/g) ?? []).length;
      } catch {
        return 0;
      }
    },
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
