/**
 * A forward proxy on 127.0.0.1 port 0 for tests: absolute-form requests (`GET http://host/path`) are forwarded,
 * CONNECT opens a tunnel. Hostnames in `hosts` resolve only here (e.g. `pdl-test.invalid` → 127.0.0.1), so a client
 * that ignores the proxy cannot reach them. It counts what it carried, per target host.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ProxyStats {
  /** Absolute-form requests forwarded. */
  forwarded: number;
  /** CONNECT tunnels opened. */
  tunnels: number;
  /** Largest number of requests or tunnels to one target host open at the same time. */
  maxConcurrentPerHost: number;
  /** Proxy-Authorization headers as received (decoded Basic credentials). */
  credentials: string[];
}

export interface TestProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stats: ProxyStats;
  close(): Promise<void>;
}

export async function startTestProxy(hosts: Record<string, string> = {}): Promise<TestProxy> {
  const stats: ProxyStats = { forwarded: 0, tunnels: 0, maxConcurrentPerHost: 0, credentials: [] };
  const open = new Map<string, number>();
  const sockets = new Set<Socket>();
  const resolve = (host: string) => hosts[host.toLowerCase()] ?? host;
  const enter = (host: string) => {
    const now = (open.get(host) ?? 0) + 1;
    open.set(host, now);
    stats.maxConcurrentPerHost = Math.max(stats.maxConcurrentPerHost, now);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      open.set(host, (open.get(host) ?? 1) - 1);
    };
  };
  const noteCredentials = (req: IncomingMessage) => {
    const auth = req.headers['proxy-authorization'];
    if (typeof auth === 'string' && auth.startsWith('Basic ')) stats.credentials.push(Buffer.from(auth.slice(6), 'base64').toString());
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    noteCredentials(req);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400).end('absolute-form only');
    }
    stats.forwarded++;
    const leave = enter(target.hostname);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      { host: resolve(target.hostname), port: target.port || 80, path: target.pathname + target.search, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', leave);
      },
    );
    upstream.once('error', () => {
      leave();
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.once('close', () => {
      leave();
      upstream.destroy();
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    noteCredentials(req);
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    stats.tunnels++;
    const leave = enter(host);
    const upstream = connect(Number(port), resolve(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const end = () => {
      leave();
      upstream.destroy();
      client.destroy();
    };
    upstream.once('error', () => {
      if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      end();
    });
    upstream.once('close', end);
    client.once('error', end);
    client.once('close', end);
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
