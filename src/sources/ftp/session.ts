/**
 * One FTP control connection, logged in: anonymous without a user name, explicit TLS (AUTH TLS) for ftps:// with
 * the certificate verified like HTTPS. Replies map onto pdl's errors: 530 is refused access (not retried), 421 a
 * busy server (retried with fewer connections), TLS failures a clear reason.
 */
import { isIP } from 'node:net';
import type { Client } from 'basic-ftp';
import { AccessDeniedError } from '../../errors.js';
import type { ResolvedFtp } from '../../job/resolved.js';
import { messageOf, missingFile, refusedFile, transientFailure } from '../remote-errors.js';

export interface FtpTarget {
  host: string;
  port: number;
  user: string;
  secure: boolean;
  path: string;
}

export function ftpTarget(url: URL): FtpTarget {
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 21 : Number(url.port),
    user: url.username === '' ? 'anonymous' : decodeURIComponent(url.username),
    secure: url.protocol === 'ftps:',
    path: decodeURIComponent(url.pathname),
  };
}

/** Node's codes for a certificate that does not verify. */
const TLS_CODES = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_SSL_)/;

export async function openFtp(target: FtpTarget, settings: ResolvedFtp, url: string, timeoutMs: number): Promise<Client> {
  const { Client } = await import('basic-ftp');
  const client = new Client(timeoutMs);
  try {
    await client.access({
      host: target.host,
      port: target.port,
      user: target.user,
      // RFC 1635: anonymous logins give an e-mail-like password.
      password: settings.password ?? (target.user === 'anonymous' ? 'pdl@' : ''),
      secure: target.secure,
      // SNI names hosts, never addresses (RFC 6066); the certificate is checked against the address either way.
      secureOptions: isIP(target.host) === 0 ? { servername: target.host } : {},
    });
    return client;
  } catch (error) {
    client.close();
    throw ftpError(error, url, target);
  }
}

export function ftpError(error: unknown, url: string, target: FtpTarget): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = messageOf(error).trim();
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return new AccessDeniedError(`TLS certificate of ${target.host} not accepted: ${message}`, { url, cause: error });
  }
  if (typeof code === 'number') {
    const reply = /^\d{3}/.test(message) ? message : `${code} ${message}`;
    if (code === 530) return new AccessDeniedError(`FTP login as ${target.user} refused (${reply})`, { url, cause: error });
    if (code === 550) return missingFile(code, url, error);
    if (code === 421) return transientFailure(`the FTP server is busy (${reply})`, url, error, true);
    if (code >= 400 && code < 500) return transientFailure(`FTP ${reply}`, url, error);
    return refusedFile(code, `FTP ${reply}`, url, error);
  }
  if (typeof code === 'string') return error;
  return transientFailure(`FTP connection failed: ${message}`, url, error);
}
