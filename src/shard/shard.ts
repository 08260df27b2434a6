/**
 * Static shards: `--shard i/n` keeps the files whose output path hashes to shard i, so n runs (a CI matrix, a
 * Kubernetes Indexed Job) cover a job once with no file twice. The hash is of the path relative to the output root,
 * so it does not depend on the order of the job file, the machine, or where the folder is mounted.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ResolvedJob } from '../job/resolved.js';

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

const MAX_SHARDS = 1_000_000;

/** The shard (0-based) a file's output path belongs to among `total`. */
export function shardOf(relPath: string, total: number): number {
  const digest = createHash('sha256').update(relPath, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(total));
}

/** `i/n`, 1-based, as typed after `--shard`. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const total = match ? Number(match[2]) : NaN;
  if (!match || total < 1 || total > MAX_SHARDS || index < 1 || index > total) {
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n <= ${MAX_SHARDS} (e.g. 2/4), got "${text}"`);
  }
  return { index, total };
}

/**
 * `--shard-from-env`: a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX (0-based); the total comes from
 * `--shard-total`, else PDL_SHARD_TOTAL. PDL_SHARD_INDEX (0-based) serves runners that are not Kubernetes.
 */
export function shardFromEnv(env: Record<string, string | undefined>, total: string | undefined): Shard {
  const indexText = env['JOB_COMPLETION_INDEX'] ?? env['PDL_SHARD_INDEX'];
  const totalText = total ?? env['PDL_SHARD_TOTAL'];
  if (indexText === undefined) throw new UsageError('--shard-from-env: neither JOB_COMPLETION_INDEX nor PDL_SHARD_INDEX is set');
  if (totalText === undefined) throw new UsageError('--shard-from-env: give the number of shards with --shard-total or PDL_SHARD_TOTAL');
  if (!/^\d+$/.test(indexText.trim())) throw new UsageError(`--shard-from-env: expected a 0-based whole number in the shard index, got "${indexText}"`);
  return parseShard(`${Number(indexText.trim()) + 1}/${totalText.trim()}`);
}

/** The job with only the files of `shard`; an empty shard is a valid (if idle) run. */
export function selectShard(job: ResolvedJob, shard: Shard | undefined): ResolvedJob {
  if (shard === undefined || shard.total === 1) return job;
  return { ...job, files: job.files.filter((file) => shardOf(file.relPath, shard.total) === shard.index - 1) };
}
