/** Starting a real server program for a test: a free loopback port, a wait until it listens, a kill at the end. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';

/** A port the kernel just handed out and released: another process could take it first, so callers retry. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The program's absolute path (sshd insists on one), or a clear failure naming the Debian package. */
export function program(name: string, debianPackage: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  throw new Error(`${name} is not installed: apt-get install -y ${debianPackage} (.ci/run does this)`);
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root (CI runs the tests as root)`);
}

export interface Daemon {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Start `args(port)` and wait (bounded) until the port accepts connections; a few ports are tried. */
export async function startDaemon(command: string, args: (port: number) => string[], label: string): Promise<Daemon> {
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(command, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    };
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await accepts(port)) return { child, port, stop };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stop();
    lastError = stderr.trim();
  }
  throw new Error(`${label} did not start: ${lastError || 'no output'}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
