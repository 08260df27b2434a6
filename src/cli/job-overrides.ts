/**
 * Command-line overrides of a loaded job — `--files`, `--connections`, `--rate`, `--only`, `--newer` — applied the
 * same way by every command that runs or plans a job, so `pdl plan` describes exactly what `pdl run` would do.
 */
import { UsageError } from '../errors.js';
import type { ResolvedJob } from '../job/resolved.js';
import { matchesAny } from './glob.js';

export interface JobOverrides {
  files?: number | undefined;
  connections?: number | undefined;
  rate?: number | undefined;
  /** Globs on output paths; empty = every file. */
  only?: readonly string[];
  /** Every file `ifExists: newer`. */
  newer?: boolean;
}

export function applyOverrides(loaded: ResolvedJob, overrides: JobOverrides): ResolvedJob {
  const only = overrides.only ?? [];
  const selected = only.length > 0 ? loaded.files.filter((file) => matchesAny(file.relPath, only)) : loaded.files;
  if (only.length > 0 && selected.length === 0) throw new UsageError(`--only ${only.join(' ')}: no file of the job matches`);
  return {
    ...loaded,
    limits: {
      ...loaded.limits,
      ...(overrides.files !== undefined ? { files: overrides.files } : {}),
      ...(overrides.connections !== undefined ? { connections: overrides.connections } : {}),
      ...(overrides.rate !== undefined ? { rate: overrides.rate } : {}),
    },
    files: overrides.newer ? selected.map((file) => ({ ...file, ifExists: 'newer' as const })) : selected,
  };
}
