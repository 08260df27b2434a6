/**
 * A real OpenSSH sshd for tests: its own host key, a user key, authorized_keys and config in a temp folder,
 * internal-sftp, key authentication only, on a free loopback port. Logs in as the current user (root in CI), with
 * StrictModes off because the temp folder's owner and modes are not a home's.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { program, requireRoot, startDaemon, type Daemon } from './daemon.js';

export interface TestSshd {
  /** Folder served: its files are at `url(name)`. */
  root: string;
  user: string;
  port: number;
  /** Private key that the server accepts. */
  identity: string;
  /** A key the server does not accept. */
  strangerIdentity: string;
  /** known_hosts listing the server's key. */
  knownHosts: string;
  /** known_hosts listing another key for the server (a changed host key). */
  wrongKnownHosts: string;
  /** The server's key fingerprint as ssh-keygen -l prints it (SHA256:…). */
  fingerprint: string;
  url(name: string): string;
  /** Connections sshd accepted so far (counted from its log). */
  connections(): number;
  /** sshd's log so far. */
  log(): string;
  stop(): Promise<void>;
}

function keygen(path: string, comment: string): void {
  execFileSync(program('ssh-keygen', 'openssh-client'), ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'ignore', timeout: 30_000 });
}

export async function startSshd(): Promise<TestSshd> {
  requireRoot('the sshd test server');
  const sshd = program('sshd', 'openssh-server');
  const dir = mkdtempSync(join(tmpdir(), 'pdl-sshd-'));
  chmodSync(dir, 0o755);
  // Privilege separation wants this folder; the package creates it only when its service starts.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const root = join(dir, 'files');
  mkdirSync(root, { mode: 0o755 });
  keygen(join(dir, 'host_key'), 'pdl-test-host');
  keygen(join(dir, 'other_host_key'), 'pdl-test-other-host');
  keygen(join(dir, 'id_user'), 'pdl-test-user');
  keygen(join(dir, 'id_stranger'), 'pdl-test-stranger');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_user.pub')));
  const user = userInfo().username;
  const log = join(dir, 'sshd.log');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 64',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  let daemon: Daemon;
  try {
    daemon = await startDaemon(sshd, (port) => ['-D', '-f', config, '-p', String(port), '-E', log], 'sshd');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const otherPub = readFileSync(join(dir, 'other_host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const name = `[127.0.0.1]:${daemon.port}`;
  const readLog = () => {
    try {
      return readFileSync(log, 'utf8');
    } catch {
      return '';
    }
  };
  writeFileSync(join(dir, 'known_hosts'), `${name} ${hostPub}\n`);
  writeFileSync(join(dir, 'wrong_known_hosts'), `${name} ${otherPub}\n`);
  const fingerprint = execFileSync(program('ssh-keygen', 'openssh-client'), ['-l', '-f', join(dir, 'host_key.pub')], { encoding: 'utf8' }).split(' ')[1]!;
  return {
    root,
    user,
    port: daemon.port,
    identity: join(dir, 'id_user'),
    strangerIdentity: join(dir, 'id_stranger'),
    knownHosts: join(dir, 'known_hosts'),
    wrongKnownHosts: join(dir, 'wrong_known_hosts'),
    fingerprint,
    url: (file) => `sftp://${user}@127.0.0.1:${daemon.port}${join(root, file)}`,
    connections: () => (readLog().match(/Connection from 127\.0\.0\.1/g) ?? []).length,
    log: readLog,
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
