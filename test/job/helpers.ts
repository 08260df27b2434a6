/** Shared by the job tests: run the loader on YAML text and get its problems as the CLI prints them. */
import assert from 'node:assert/strict';
import { JobFileError } from '../../src/errors.js';
import { parseJobText } from '../../src/job/parse-job.js';
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

/**
 * `random(n)`: a seeded integer in [0, n) (mulberry32). Not `seed * 1103515245 % 2 ** 31` in doubles: that product
 * passes 2^53, loses its low bits and falls into a short cycle, so thousands of "random" cases are a few dozen.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed | 0;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}
