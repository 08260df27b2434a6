/**
 * A deliberately dumb HTTP/1.1 client over a raw TCP socket, for tests that must see exactly which bytes a
 * server sent and how the connection ended — things a real client hides (extra bytes, early EOF, silence).
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Everything after the head, unparsed (chunk framing included, if any). */
  body: Buffer;
  /** How collection stopped: the server closed, the socket failed, or `timeoutMs` passed (socket still open). */
  endedBy: 'close' | 'error' | 'timeout';
  elapsedMs: number;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Stop collecting after this long; default 3000 ms. */
  timeoutMs?: number;
  /** Called once connected, e.g. to keep the socket for concurrency tests. */
  onSocket?: (socket: Socket) => void;
}

export function rawRequest(origin: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  const lines = [`${options.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    options.onSocket?.(socket);
    let settled = false;
    const finish = (endedBy: RawResponse['endedBy']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0) return reject(new Error(`no response head (${endedBy}): ${JSON.stringify(raw.toString('latin1'))}`));
      const [statusLine = '', ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: raw.subarray(headEnd + 4),
        endedBy,
        elapsedMs: performance.now() - began,
      });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 3000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish('error'));
    socket.on('close', () => finish('close'));
  });
}
