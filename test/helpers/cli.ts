/**
 * Runs the built `pdl` binary as a child process, the way users and cron do: dist/src/cli/bin.js is the file
 * package.json's `bin` names, and it loads the bundled CLI (dist/bundle/) exactly as an installed copy does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the child after this long (a test must never hang). */
  timeoutMs?: number;
  /** Another copy of bin.js to run instead of the build's. */
  bin?: string;
}

export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Nothing a user should never see: stack traces and Node warnings. */
export function assertCleanStderr(stderr: string): void {
  if (/\n\s+at .+:\d+:\d+/.test(stderr)) throw new Error(`stack trace on stderr:\n${stderr}`);
  if (/Warning:|DeprecationWarning|ExperimentalWarning/.test(stderr)) throw new Error(`Node warning on stderr:\n${stderr}`);
}

/** Wait (bounded) until `check` is true: a test that waits for a run to reach a point never hangs. */
export async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not reached in time');
}

/** True once the control file at `path` records some completed bytes (a run is well under way and resumable). */
export const controlSaysProgress = (path: string) => async (): Promise<boolean> => {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as { done: Array<{ start: number; end: number }> };
    return state.done.reduce((sum, iv) => sum + iv.end - iv.start, 0) > 0;
  } catch {
    return false;
  }
};
