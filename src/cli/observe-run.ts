/**
 * What `pdl lock` and `pdl pin` share: run a job like `pdl run` (download what is missing; a file already present
 * and complete is kept and read, not fetched), then learn each file's size and sha256 — from the engine when it
 * hashed with sha256, otherwise by hashing the final file — and, where `<dir>/.pdl-state.json` recorded them for
 * these very bytes, its ETag, Last-Modified and final URL. The engine only keeps that state file in folders that use
 * `ifExists: newer`, so elsewhere the validators are simply unknown.
 */
import { stat } from 'node:fs/promises';
import type { RunSummary } from '../engine/events.js';
import { toLocalIOError } from '../error-wrap.js';
import type { ResolvedJob } from '../job/resolved.js';
import { MirrorState } from '../storage/mirror-state.js';
import { hashFile } from '../verify/checksum.js';
import { execute, type ExecuteOptions } from './execute.js';
import type { CliIO } from './io.js';
import { withRunLock } from './run-session.js';

export interface ObservedFile {
  index: number;
  relPath: string;
  displayUrl: string;
  /** The other URLs of a file with `urls:`, as written. */
  mirrors: string[] | undefined;
  size: number;
  sha256: string;
  finalUrl: string | undefined;
  etag: string | undefined;
  lastModified: string | undefined;
}

export type Observation = { exitCode: number; files: undefined } | { exitCode: 0; files: ObservedFile[] };

/** Run `job` holding its output folder's run lock; `files` (in job order) only when every file ended well. */
export async function observeRun(job: ResolvedJob, options: ExecuteOptions, io: CliIO, command: string): Promise<Observation> {
  return withRunLock(job.dir, command, async () => {
    let summary: RunSummary | undefined;
    // The lock records ETag and Last-Modified, which pdl keeps in the state file: keep it for these runs.
    const exitCode = await execute(job, { ...options, keepState: true, afterRun: async (s) => void (summary = s) }, io);
    if (exitCode !== 0 || summary === undefined) return { exitCode, files: undefined };
    return { exitCode: 0, files: await describeFiles(job, summary) } as const;
  });
}

async function describeFiles(job: ResolvedJob, summary: RunSummary): Promise<ObservedFile[]> {
  const results = new Map(summary.files.map((result) => [result.index, result]));
  // Read after the run: the engine's final write of the state file is done by now.
  const { state } = await MirrorState.load(job.dir);
  const files: ObservedFile[] = [];
  for (const file of [...job.files].sort((a, b) => a.index - b.index)) {
    let size: number;
    try {
      size = (await stat(file.path)).size;
    } catch (error) {
      throw toLocalIOError(error, file.path, 'inspect');
    }
    const reported = results.get(file.index);
    const sha256 = reported?.sha256 !== undefined && reported.size === size ? reported.sha256 : (await hashFile(file.path, ['sha256'])).sha256!;
    // Validators describe the bytes the server sent: only trusted when the state speaks of exactly these bytes.
    const entry = state.get(file.relPath);
    const known = entry !== undefined && entry.size === size && entry.sha256 === sha256 && entry.url === file.displayUrl ? entry : undefined;
    files.push({
      index: file.index,
      relPath: file.relPath,
      displayUrl: file.displayUrl,
      mirrors: file.mirrors?.map((m) => m.displayUrl),
      size,
      sha256,
      finalUrl: known?.finalUrl,
      etag: known?.etag,
      lastModified: known?.lastModified,
    });
  }
  return files;
}
