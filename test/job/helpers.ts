/** Shared by the job tests: run the loader on YAML text and get its problems as the CLI prints them. */
import assert from 'node:assert/strict';
import { JobFileError } from '../../src/errors.js';
import { parseJobText } from '../../src/job/load.js';
import type { ResolvedJob } from '../../src/job/resolved.js';

export const BASE_DIR = '/jobs';

export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export function load(text: string, env: Record<string, string | undefined> = {}, dir?: string): ResolvedJob {
  return parseJobText(text, { fileName: 'jobs.yaml', baseDir: BASE_DIR, env, ...(dir !== undefined ? { dir } : {}) });
}

/** The lines of the JobFileError message: `jobs.yaml:line:column path: message`. */
export function problems(text: string, env: Record<string, string | undefined> = {}): string[] {
  try {
    load(text, env);
  } catch (error) {
    if (!(error instanceof JobFileError)) throw error;
    assert.equal(error.code, 'E_JOB_FILE');
    assert.equal(error.exitCode, 2);
    assert.equal(error.file, 'jobs.yaml');
    const lines = error.message.split('\n');
    assert.equal(lines.length, error.issues.length, 'one line per issue');
    return lines;
  }
  return assert.fail('expected a JobFileError');
}
