/**
 * Which source serves a file, by its URL's scheme: HTTP through the run's undici dispatcher, SFTP through the
 * run's SSH connections, FTP(S) with a connection per range. One provider per run; `close()` ends every
 * connection it opened.
 */
import type { Dispatcher } from 'undici';
import { HttpSource } from '../http/source.js';
import type { ResolvedFile } from '../job/resolved.js';
import { FtpClients } from './ftp/clients.js';
import { FtpSource } from './ftp/source.js';
import { SshPool } from './sftp/pool.js';
import { SftpSource } from './sftp/source.js';
import type { ByteSource } from './source.js';

export class SourceProvider {
  readonly #dispatcher: Dispatcher;
  readonly ssh = new SshPool();
  readonly ftp = new FtpClients();

  constructor(dispatcher: Dispatcher) {
    this.#dispatcher = dispatcher;
  }

  source(file: ResolvedFile): ByteSource {
    const protocol = new URL(file.url).protocol;
    const common = { url: file.url, displayUrl: file.displayUrl, timeoutMs: file.timeout };
    if (protocol === 'sftp:') return new SftpSource({ ...common, pool: this.ssh, settings: file.ssh ?? defaultSsh() });
    if (protocol === 'ftp:' || protocol === 'ftps:') return new FtpSource({ ...common, clients: this.ftp, settings: file.ftp ?? { password: undefined } });
    return new HttpSource({ dispatcher: this.#dispatcher, url: file.url, displayUrl: file.displayUrl, headers: file.headers, secrets: file.secrets });
  }

  close(): void {
    this.ssh.close();
    this.ftp.close();
  }
}

/** Only a ResolvedFile built by hand lacks `ssh`: the resolver always sets it for sftp:// URLs. */
function defaultSsh(): NonNullable<ResolvedFile['ssh']> {
  throw new TypeError('an sftp:// file needs its resolved `ssh` settings');
}
