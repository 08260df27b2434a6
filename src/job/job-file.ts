/** What the loader (load.ts) and the full parse (parse-job.ts) share: the options, and the size a job file may have. */
import type { JobIssue } from '../errors.js';
import type { Env } from './env.js';
import { MiB } from './units.js';

export const JOB_FILE_MAX_BYTES = 16 * MiB;

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

export function tooLarge(): JobIssue {
  const message = `is larger than ${JOB_FILE_MAX_BYTES / MiB} MiB, the limit for a job file; split it into several`;
  return { line: 0, column: 0, path: '', message };
}
