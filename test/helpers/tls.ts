/**
 * TLS for tests: a throwaway self-signed certificate for 127.0.0.1, made at test time with the openssl CLI (no key
 * material lives in the repo), and an https server on port 0 that redirects every request to one location.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM; also the CA to trust, since it is self-signed. */
  cert: string;
  key: string;
}

let memo: TestCertificate | undefined;

/** One certificate per test process: RSA key generation takes a noticeable fraction of a second. */
export function testCertificate(): TestCertificate {
  if (memo) return memo;
  const dir = mkdtempSync(join(tmpdir(), 'pdl-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
    memo = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
    return memo;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface HttpsRedirector {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  /** Every request that reached the server (i.e. completed a TLS handshake). */
  requests: Array<{ method: string; url: string }>;
  /** Stops listening and destroys every open socket. */
  close(): Promise<void>;
}

/** An https server on 127.0.0.1 port 0 answering every request with `302 Location: <location>`. */
export async function startHttpsRedirector(location: string): Promise<HttpsRedirector> {
  const { cert, key } = testCertificate();
  const requests: HttpsRedirector['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ cert, key }, (req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    res.writeHead(302, { Location: location, 'Content-Length': '0' }).end();
  });
  // Plain TCP sockets, so that close() also ends connections stuck mid-handshake.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;
  return {
    origin,
    url: (path) => new URL(path, origin).href,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
