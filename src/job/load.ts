/**
 * The one loader: job file bytes → YAML → schema → resolver, with every problem reported at once and
 * pinned to `file:line:column`. Hostile input (alias bombs, deep nesting, huge files, prototype keys,
 * exotic tags, bad bytes) ends in a JobFileError, never a hang, a crash or a polluted prototype.
 */
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter } from 'yaml';
import { JobFileError, type JobIssue } from '../errors.js';
import type { Env } from './env.js';
import { fileUrls, type ResolvedJob } from './resolved.js';
import { checkJob, finish, formatPath } from './check.js';
import { MiB } from './units.js';
import { offsetOf, parseYaml, quickYaml } from './yaml.js';

export const JOB_FILE_MAX_BYTES = 16 * MiB;
/** Beyond this many problems the rest are counted, not listed: nobody reads 10 000 lines. */

export interface LoadOptions {
  env: Env;
  /** Output folder overriding `defaults.dir` (the CLI's --dir). */
  dir?: string;
  /** The name messages use, as the user typed it; defaults to `file`. */
  displayName?: string;
}

export interface ParseOptions {
  /** The name messages use. */
  fileName: string;
  /** The job file's folder. */
  baseDir: string;
  env: Env;
  dir?: string;
  /** Absolute job file path for ResolvedJob.source. */
  source?: string;
}

/** Read, parse, validate and resolve a job file. Throws JobFileError listing every problem. */
export async function loadJobFile(file: string, options: LoadOptions): Promise<ResolvedJob> {
  const fileName = options.displayName ?? file;
  const source = resolve(file);
  const bytes = await readCapped(source, fileName);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const message = 'is not valid UTF-8 (on this line); save the file as UTF-8';
    throw new JobFileError(fileName, [{ line: badUtf8Line(bytes), column: 1, path: '', message }]);
  }
  const dir = options.dir !== undefined ? { dir: options.dir } : {};
  return parseJobText(text, { fileName, baseDir: dirname(source), env: options.env, source, ...dir });
}

/** parseJobText without the file: YAML text in, ResolvedJob out. Pure apart from path.resolve. */
export function parseJobText(text: string, options: ParseOptions): ResolvedJob {
  const fail = (issues: JobIssue[]) => new JobFileError(options.fileName, finish(issues));
  if (Buffer.byteLength(text) > JOB_FILE_MAX_BYTES) throw fail([tooLarge()]);
  // Most job files are plain block YAML: their values without yaml's Document. Any problem is reported from the
  // full parse below, which has every node's position.
  const quick = quickYaml(text);
  if (quick !== undefined) {
    const checked = checkJob(quick.value, { ...options, expandEnv: true });
    if (checked.ok) return checked.job;
  }
  const lineCounter = new LineCounter();
  const parsed = parseYaml(text, lineCounter);
  if (!parsed.ok) throw fail(parsed.issues);
  const checked = checkJob(parsed.value, { ...options, expandEnv: true });
  if (checked.ok) return checked.job;
  throw fail(checked.issues.map((issue) => {
    const { line, col } = lineCounter.linePos(offsetOf(parsed.doc, issue));
    return { line, column: col, path: formatPath(issue.path), message: issue.message };
  }));
}

/** One line for `pdl validate`: `jobs.yaml: 12 files, 3 hosts (example.org: 10, cdn.example.net: 2)`. */
export function summarizeJob(job: ResolvedJob, name = job.source === undefined ? 'job' : basename(job.source)): string {
  const hosts = new Map<string, number>();
  for (const file of job.files) {
    // Every mirror's host counts, once per file.
    const ofFile = new Set(fileUrls(file).map(({ displayUrl }) => {
      // displayUrl, not url: a host that came from ${VAR} stays unexpanded.
      const written = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#]*@)?([^/?#]*)/.exec(displayUrl)?.[1] ?? '?';
      return written.includes('${') ? written : written.toLowerCase();
    }));
    for (const host of ofFile) hosts.set(host, (hosts.get(host) ?? 0) + 1);
  }
  const ranked = [...hosts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = ranked.slice(0, 5).map(([host, count]) => `${host}: ${count}`);
  if (ranked.length > 5) shown.push(`${ranked.length - 5} more`);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `${name}: ${count(job.files.length, 'file')}, ${count(hosts.size, 'host')} (${shown.join(', ')})`;
}

async function readCapped(path: string, fileName: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    // Read until EOF rather than trusting stat: the cap must hold for pipes and growing files too.
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(MiB, JOB_FILE_MAX_BYTES + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > JOB_FILE_MAX_BYTES) throw new JobFileError(fileName, [tooLarge()]);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof JobFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'it is a folder'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : String((error as Error).message);
    throw new JobFileError(fileName, [{ line: 0, column: 0, path: '', message: `cannot be read: ${reason}` }], { cause: error });
  } finally {
    await handle?.close();
  }
}

function tooLarge(): JobIssue {
  const message = `is larger than ${JOB_FILE_MAX_BYTES / MiB} MiB, the limit for a job file; split it into several`;
  return { line: 0, column: 0, path: '', message };
}

/** 1-based line of the first byte sequence that is not UTF-8. A LF byte never occurs inside a UTF-8 sequence. */
function badUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      decoder.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    start = stop + 1;
  }
  return 0;
}

export { formatPath, resolveJobObject } from './check.js';
