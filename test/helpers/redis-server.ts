/**
 * A real redis-server for queue tests: on a free loopback port, in its own temp folder, nothing persisted; stopped
 * (and its folder removed) when the test ends. Install it with `apt-get install redis-server` (.ci/run does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisProcess {
  url: string;
  port: number;
  /** Stop it (SIGKILL: like a lost server); safe to call twice. */
  stop(): Promise<void>;
}

export async function startRedis(t: { after(fn: () => Promise<void>): void }, options: { password?: string } = {}): Promise<RedisProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-redis-'));
  // Bounded: a port taken between probing and binding is rare; three tries are plenty.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...(options.password ? ['--requirepass', options.password] : [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (await ready(port, child, options.password)) {
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        child.kill('SIGKILL');
        await exited;
      };
      t.after(async () => {
        await stop();
        await rm(dir, { recursive: true, force: true });
      });
      return { url: `redis://127.0.0.1:${port}/0`, port, stop };
    }
    child.kill('SIGKILL');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('redis-server did not start (is it installed? apt-get install redis-server)');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** PING until PONG, for at most 5 s. */
async function ready(port: number, child: ChildProcess, password: string | undefined): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await ping(port, password)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function ping(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
    let answer = '';
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n+PONG') || answer.startsWith('+PONG')) done(true);
      else if (answer.includes('-')) done(false);
    });
  });
}
