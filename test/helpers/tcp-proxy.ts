/**
 * A TCP proxy on 127.0.0.1 port 0 in front of a real server (sshd, vsftpd) that can misbehave on purpose: cut a
 * connection after N bytes from the server, or go silent (a stall) after N bytes, for the first `faulty` connections.
 * It counts the bytes the server sent through it, so tests can bound what a resume fetched.
 *
 * With `ftp: true` it also rewrites the passive-mode replies (227 and 229) on control connections to a data
 * listener of its own, so FTP data connections go through the proxy too; faults then hit data connections (a cut
 * closes the data connection and its control connection together, like a dropped link).
 */
import { createServer, createConnection, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ProxyFault {
  /** What to do once a faulty connection has carried `after` bytes from the server. */
  kind: 'cut' | 'stall';
  after: number;
  /** How many connections (data connections for FTP) misbehave; the rest are forwarded faithfully. */
  faulty: number;
}

export interface TcpProxy {
  port: number;
  /** Bytes the server sent (data connections only, for FTP). */
  serverBytes(): number;
  /** Connections (data connections for FTP) that were faulted so far. */
  faulted(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, options: { fault?: ProxyFault; ftp?: boolean } = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const servers = new Set<Server>();
  let bytes = 0;
  let faulted = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  };

  /** Pipe client ↔ server; `faulty` applies the fault to this connection's server→client bytes. */
  const relay = (client: Socket, port: number, counted: boolean, linked?: () => void) => {
    const server = track(createConnection({ host: '127.0.0.1', port }));
    const faulty = counted && options.fault !== undefined && faulted < options.fault.faulty;
    if (faulty) faulted++;
    let carried = 0;
    let stalled = false;
    // The link drops after the bytes already sent: they reach the client (a reset could discard what sits unread in
    // its socket buffer, which would count against the client what the test machine's load did).
    const kill = () => {
      client.end();
      server.destroy();
      linked?.();
    };
    client.on('close', () => server.destroy());
    server.on('close', () => client.end());
    client.on('data', (chunk: Buffer) => {
      if (!stalled) server.write(chunk);
    });
    return {
      server,
      forward: (chunk: Buffer) => {
        if (stalled) return;
        const fault = options.fault;
        if (faulty && fault !== undefined && carried + chunk.length >= fault.after) {
          const part = chunk.subarray(0, Math.max(0, fault.after - carried));
          carried += part.length;
          if (counted) bytes += part.length;
          client.write(part);
          if (fault.kind === 'cut') return kill();
          // A stall: both directions go quiet, the sockets stay open until the client gives up.
          stalled = true;
          server.pause();
          return;
        }
        carried += chunk.length;
        if (counted) bytes += chunk.length;
        client.write(chunk);
      },
    };
  };

  /** A one-shot listener in front of the server's data port, for one passive transfer. */
  const dataListener = async (port: number, control: () => void): Promise<number> => {
    const listener = createServer((client) => {
      track(client);
      listener.close();
      servers.delete(listener);
      const { server, forward } = relay(client, port, true, control);
      server.on('data', forward);
    });
    servers.add(listener);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    return (listener.address() as AddressInfo).port;
  };

  const front = createServer((client) => {
    track(client);
    if (!options.ftp) {
      const { server, forward } = relay(client, targetPort, true);
      server.on('data', forward);
      return;
    }
    const { server } = relay(client, targetPort, false);
    const dropControl = () => {
      client.end();
      server.destroy();
    };
    // Replies are rewritten in order: the server is paused while a data listener starts.
    server.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const epsv = /^229 .*\(\|\|\|(\d+)\|\)/m.exec(text);
      const pasv = /^227 .*\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/m.exec(text);
      if (epsv === null && pasv === null) return void client.write(chunk);
      const port = epsv !== null ? Number(epsv[1]) : Number(pasv![5]) * 256 + Number(pasv![6]);
      server.pause();
      void dataListener(port, dropControl).then((mine) => {
        const rewritten = epsv !== null
          ? text.replace(epsv[0], epsv[0].replace(`|||${epsv[1]}|`, `|||${mine}|`))
          : text.replace(pasv![0], pasv![0].replace(/\(.*\)/, `(127,0,0,1,${mine >> 8},${mine & 255})`));
        client.write(Buffer.from(rewritten, 'latin1'));
        server.resume();
      });
    });
  });
  servers.add(front);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return {
    port: (front.address() as AddressInfo).port,
    serverBytes: () => bytes,
    faulted: () => faulted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([...servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
