/**
 * A job given as a plain object (parsed YAML, or what `pdl get` and `download()` build) checked against the one
 * schema and resolved: no YAML here, so a one-URL download does not load the YAML parser.
 */
import { JobFileError, type JobIssue } from '../errors.js';
import type { ResolvedJob } from './resolved.js';
import { resolveJob, type JobSpec, type ResolveOptions } from './resolve.js';
import {
  defaultsSchema, fileEntrySchema, fileSchema, jobSchema, limitsSchema,
  type DefaultsInput, type FileInput, type JobInput, type LimitsInput,
} from './schema.js';
import { plainEntries, validatePlainJob } from './plain-entries.js';
import { explainZodIssues, genericIssueMessage, type KeyHelp, type PathIssue } from './suggest.js';

const MAX_LISTED_ISSUES = 100;

/**
 * Validate and resolve a job given as a plain object (what `pdl get` and `download()` build): same schema,
 * same rules, issues without positions. `expandEnv: false` takes URLs and headers literally.
 */
export function resolveJobObject(raw: unknown, options: ResolveOptions & { fileName: string }): ResolvedJob {
  const checked = checkJob(raw, options);
  if (checked.ok) return checked.job;
  const issues = checked.issues.map((issue) => ({ line: 0, column: 0, path: formatPath(issue.path), message: issue.message }));
  throw new JobFileError(options.fileName, finish(issues));
}

const SECTIONS = {
  top: Object.keys(jobSchema.shape),
  defaults: Object.keys(defaultsSchema.shape),
  limits: Object.keys(limitsSchema.shape),
  file: Object.keys(fileSchema.shape),
};

function sectionAt(path: readonly (string | number)[]): keyof typeof SECTIONS | undefined {
  if (path.length === 0) return 'top';
  if (path.length === 1 && (path[0] === 'defaults' || path[0] === 'limits')) return path[0];
  if (path.length === 2 && path[0] === 'files' && typeof path[1] === 'number') return 'file';
  return undefined;
}

/** Which keys each mapping allows, and where a misplaced key belongs: for "did you mean" hints. */
const jobKeyHelp: KeyHelp = {
  known: (path) => SECTIONS[sectionAt(path) ?? 'top'],
  elsewhere(path, key) {
    const here = sectionAt(path);
    const homes = (['defaults', 'limits', 'file'] as const).filter((s) => s !== here && SECTIONS[s].includes(key));
    if (homes.length === 0) return undefined;
    return `\`${key}\` belongs in ${homes.map((s) => (s === 'file' ? 'a file entry' : `\`${s}\``)).join(' or ')}`;
  },
};

/** Schema first; then resolve whatever parts were valid, so env, URL and path problems are reported too. */
export function checkJob(raw: unknown, options: ResolveOptions): { ok: true; job: ResolvedJob } | { ok: false; issues: PathIssue[] } {
  // Big jobs of plain entries skip zod for each entry (plain-entries.ts), and for the top level too when it is plain;
  // anything else, and any problem, the full schema.
  const validated =
    validatePlainJob(raw) ?? validateTopOnly(raw) ?? jobSchema.safeParse(raw, { reportInput: true, error: genericIssueMessage });
  const schemaIssues = validated.success ? [] : explainZodIssues(validated.error.issues, jobKeyHelp);
  const resolved = resolveJob(validated.success ? validated.data : salvageJob(raw), options);
  if (resolved.ok && schemaIssues.length === 0) return resolved;
  return { ok: false, issues: [...schemaIssues, ...(resolved.ok ? [] : resolved.issues)] };
}

const topSchema = jobSchema.omit({ files: true });

/** Plain entries under a top level the hand check does not know (`ssh:`, say): the schema for the top level alone. */
function validateTopOnly(raw: unknown): { success: true; data: JobInput } | undefined {
  const split = plainEntries(raw);
  if (split === undefined) return undefined;
  const checked = topSchema.safeParse(split.top);
  return checked.success ? { success: true, data: { ...checked.data, files: split.files } } : undefined;
}

/** The fields that passed validation on their own; a file entry without a valid `url` is left out. */
function salvageJob(raw: unknown): JobSpec {
  const top = isRecord(raw) ? raw : {};
  const files = Array.isArray(top.files) ? (top.files as unknown[]) : [];
  return {
    defaults: validFields(defaultsSchema, top.defaults) as DefaultsInput | undefined,
    limits: validFields(limitsSchema, top.limits) as LimitsInput | undefined,
    files: files.map((entry) => {
      if (typeof entry === 'string') return fileEntrySchema.safeParse(entry).success ? entry : undefined;
      const fields = validFields(fileSchema, entry);
      return fields?.url === undefined && fields?.urls === undefined ? undefined : (fields as FileInput);
    }),
  };
}

type Shaped = { shape: Record<string, { safeParse(value: unknown): { success: boolean } }> };

function validFields(schema: Shaped, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const kept: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (Object.hasOwn(value, key) && field.safeParse(value[key]).success) kept[key] = value[key];
  }
  return kept;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `files[2].checksum`, `defaults.headers.X-Token`, `defaults.headers["a b"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return /^[A-Za-z_$][\w$-]*$/.test(segment) ? `${i === 0 ? '' : '.'}${segment}` : `[${JSON.stringify(segment)}]`;
    })
    .join('');
}

/** Sort by position, drop repeats (zod may say the same thing twice for one value), cap the list. */
export function finish(issues: JobIssue[]): JobIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  unique.sort((a, b) => a.line - b.line || a.column - b.column);
  if (unique.length <= MAX_LISTED_ISSUES) return unique;
  const more = unique.length - MAX_LISTED_ISSUES;
  const summary = { line: 0, column: 0, path: '', message: `and ${more} more problem${more === 1 ? '' : 's'}` };
  return [...unique.slice(0, MAX_LISTED_ISSUES), summary];
}
