/**
 * Command-line overrides of a loaded job — `--files`, `--max-connections`, `--rate`, `--only`, `--newer`, and the
 * per-file `-c/--connections`, `--timeout`, `--retries`, `--min-split-size` — applied the same way by every command
 * that runs or plans a job, so `pdl plan` describes exactly what `pdl run` would do.
 */
import { UsageError } from '../errors.js';
import type { ResolvedFile, ResolvedJob } from '../job/resolved.js';
import { pathMatcher } from './glob.js';

export interface JobOverrides {
  files?: number | undefined;
  /** limits.connections: open connections in total. */
  maxConnections?: number | undefined;
  rate?: number | undefined;
  /** Globs on output paths; empty = every file. */
  only?: readonly string[];
  /** Every file `ifExists: newer`. */
  newer?: boolean;
  /** Per file, for every file of the job (they win over the job's defaults and its per-file keys). */
  connections?: number | undefined;
  timeoutMs?: number | undefined;
  retries?: number | undefined;
  minSplitSize?: number | undefined;
}

export function applyOverrides(loaded: ResolvedJob, overrides: JobOverrides): ResolvedJob {
  const only = overrides.only ?? [];
  const matches = pathMatcher(only);
  const selected = only.length > 0 ? loaded.files.filter((file) => matches(file.relPath)) : loaded.files;
  if (only.length > 0 && selected.length === 0) throw new UsageError(`--only ${only.join(' ')}: no file of the job matches`);
  const perFile: Partial<ResolvedFile> = {
    ...(overrides.connections !== undefined ? { connections: overrides.connections } : {}),
    ...(overrides.timeoutMs !== undefined ? { timeout: overrides.timeoutMs } : {}),
    ...(overrides.retries !== undefined ? { retries: overrides.retries } : {}),
    ...(overrides.minSplitSize !== undefined ? { minSplitSize: overrides.minSplitSize } : {}),
    ...(overrides.newer ? { ifExists: 'newer' as const } : {}),
  };
  return {
    ...loaded,
    limits: {
      ...loaded.limits,
      ...(overrides.files !== undefined ? { files: overrides.files } : {}),
      ...(overrides.maxConnections !== undefined ? { connections: overrides.maxConnections } : {}),
      ...(overrides.rate !== undefined ? { rate: overrides.rate } : {}),
    },
    files: Object.keys(perFile).length > 0 ? selected.map((file) => ({ ...file, ...perFile })) : selected,
  };
}
