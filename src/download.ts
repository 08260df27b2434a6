/**
 * Download one URL to one path: a one-file job through the same engine as `runJob`. Resolves with the file's
 * result or rejects with the PdlError that stopped it.
 */
import { dirname, basename, resolve } from 'node:path';
import { InterruptedError, PdlError } from './errors.js';
import { resolveJobObject } from './job/check.js';
import type { RunOptions } from './run-job.js';
import { runJob } from './run-job.js';
import type { FileResult } from './engine/events.js';

export interface DownloadOptions extends Pick<RunOptions, 'dispatcher' | 'proxy' | 'signal' | 'events'> {
  connections?: number;
  checksum?: string;
  headers?: Record<string, string>;
  retries?: number;
  /** e.g. '30s' or milliseconds. */
  timeout?: string | number;
  minSplitSize?: string | number;
  ifExists?: 'resume' | 'skip' | 'overwrite' | 'fail' | 'newer';
  /** Other places serving the same file, in preference order after `url` (a job file's `urls:`). */
  mirrors?: string[];
}

export async function download(url: string, path: string, options: DownloadOptions = {}): Promise<FileResult> {
  const absolute = resolve(path);
  const connections = options.connections ?? 8;
  const job = resolveJobObject(
    {
      version: 1,
      defaults: {
        dir: dirname(absolute),
        connections,
        headers: options.headers ?? {},
        ...(options.retries !== undefined ? { retries: options.retries } : {}),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        ...(options.minSplitSize !== undefined ? { minSplitSize: options.minSplitSize } : {}),
        ...(options.ifExists !== undefined ? { ifExists: options.ifExists } : {}),
      },
      limits: { files: 1, connections, perHost: connections },
      files: [{ ...(options.mirrors?.length ? { urls: [url, ...options.mirrors] } : { url }), path: basename(absolute), ...(options.checksum !== undefined ? { checksum: options.checksum } : {}) }],
    },
    { fileName: 'download()', baseDir: dirname(absolute), env: {}, expandEnv: false },
  );
  const summary = await runJob(job, options);
  const result = summary.files[0]!;
  // The error that stopped the file, its class and cause intact (ChecksumMismatchError, HttpStatusError …).
  if (result.outcome === 'failed' && result.failure) throw result.failure;
  if (result.outcome === 'failed' && result.error) {
    throw new PdlError(result.error.code, result.error.kind as PdlError['kind'], result.error.message, { url });
  }
  if (result.outcome === 'interrupted') throw new InterruptedError(`interrupted; call again to resume`, { url, path: absolute });
  return result;
}
