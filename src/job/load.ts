/**
 * The one loader: job file bytes → YAML → schema → resolver, with every problem reported at once and
 * pinned to `file:line:column`. Hostile input (alias bombs, deep nesting, huge files, prototype keys,
 * exotic tags, bad bytes) ends in a JobFileError, never a hang, a crash or a polluted prototype.
 */
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { JobFileError } from '../errors.js';
import { JOB_FILE_MAX_BYTES, tooLarge, type LoadOptions, type ParseOptions } from './job-file.js';
import { resolvePlainJob } from './plain-job.js';
import { fileUrls, type ResolvedJob } from './resolved.js';
import { MiB } from './units.js';
import { quickYaml } from './yaml-budget.js';

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
  return parseText(text, { fileName, baseDir: dirname(source), env: options.env, source, ...dir });
}

/**
 * Most job files are plain block YAML with plain values: read without yaml's Document and checked without the schema,
 * neither package is even loaded. Anything else, and every problem, goes the full way (parse-job.ts), which alone
 * words the issues and gives them their positions.
 */
async function parseText(text: string, options: ParseOptions): Promise<ResolvedJob> {
  // Within the size limit: readCapped read at most JOB_FILE_MAX_BYTES, and strict UTF-8 decoding adds none.
  const quick = quickYaml(text);
  const plain = quick === undefined ? undefined : resolvePlainJob(quick.value, { ...options, expandEnv: true });
  if (plain !== undefined) return plain;
  const { parseCheckedText } = await import('./parse-job.js');
  return parseCheckedText(text, options, quick);
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
