/**
 * A job resolved without the schema when it is plain (plain-entries.ts, plain-top.ts) and resolves without a problem;
 * for anything else the schema module is loaded then, so `pdl run` of a plain job and `pdl get` never load zod.
 */
import { validatePlainJob } from './plain-entries.js';
import { resolveJob, type ResolveOptions } from './resolve.js';
import type { ResolvedJob } from './resolved.js';

/** The resolved job when `raw` is plainly valid and resolves cleanly; undefined when the schema must decide. */
export function resolvePlainJob(raw: unknown, options: ResolveOptions): ResolvedJob | undefined {
  const validated = validatePlainJob(raw);
  if (validated === undefined) return undefined;
  const resolved = resolveJob(validated.data, options);
  return resolved.ok ? resolved.job : undefined;
}

/** resolveJobObject (check.ts), which it calls for every job that is not plain: the same job or the same JobFileError. */
export async function resolveJobObjectLazily(raw: unknown, options: ResolveOptions & { fileName: string }): Promise<ResolvedJob> {
  const plain = resolvePlainJob(raw, options);
  if (plain !== undefined) return plain;
  const { resolveJobObject } = await import('./check.js');
  return resolveJobObject(raw, options);
}
