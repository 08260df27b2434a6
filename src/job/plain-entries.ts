/**
 * A fast path through the schema for big jobs: file entries of the plain kinds generated job files use (a URL, or
 * `url` with `path`, `checksum` and a few simple settings) are recognised by hand, and only the rest of the job goes
 * through zod. Whatever this does not recognise, and every job with a problem, takes the full schema, which alone
 * words the issues. It may only ever accept what the schema accepts unchanged (schema.ts transforms nothing).
 */
import { checksumPattern, IF_EXISTS, jobSchema, type JobInput } from './schema.js';

const topSchema = jobSchema.omit({ files: true });
const IF_EXISTS_SET: ReadonlySet<unknown> = new Set(IF_EXISTS);

/** The validated job when every entry is plainly valid and the rest passes the schema; undefined otherwise. */
export function validatePlainJob(raw: unknown): { success: true; data: JobInput } | undefined {
  // zod also reads inherited keys, which the copy below would drop: only literals and parsed YAML go this way.
  if (!isRecord(raw) || Object.getPrototypeOf(raw) !== Object.prototype || !Array.isArray(raw.files)) return undefined;
  if (raw.files.length === 0 || !allPlain(raw.files)) return undefined;
  const { files, ...top } = raw;
  const checked = topSchema.safeParse(top);
  return checked.success ? { success: true, data: { ...checked.data, files: files as JobInput['files'] } } : undefined;
}

/** Every entry plain, with no holes: `every` skips the holes of a sparse array, which zod rejects. */
function allPlain(files: readonly unknown[]): boolean {
  for (let i = 0; i < files.length; i++) if (!Object.hasOwn(files, i) || !plainlyValid(files[i])) return false;
  return true;
}

/** An entry the schema surely accepts as it is (fileEntrySchema). */
export function plainlyValid(entry: unknown): boolean {
  if (typeof entry === 'string') return entry.length > 0;
  if (!isRecord(entry) || Object.getPrototypeOf(entry) !== Object.prototype) return false;
  let hasUrl = false;
  // Own names, enumerable or not: zod reads a hidden `priority` too, and a for…in would not see it.
  for (const key of Object.getOwnPropertyNames(entry)) {
    if (!Object.prototype.propertyIsEnumerable.call(entry, key)) return false;
    const value = entry[key];
    switch (key) {
      case 'url':
        if (typeof value !== 'string' || value.length === 0) return false;
        hasUrl = true;
        break;
      case 'path':
        if (typeof value !== 'string') return false;
        break;
      case 'checksum':
        if (typeof value !== 'string' || !checksumPattern.test(value)) return false;
        break;
      case 'priority':
        if (!integerIn(value, -1_000_000, 1_000_000)) return false;
        break;
      case 'connections':
        if (!integerIn(value, 1, 64)) return false;
        break;
      case 'retries':
        if (!integerIn(value, 0, 100)) return false;
        break;
      case 'ifExists':
        if (!IF_EXISTS_SET.has(value)) return false;
        break;
      default:
        return false;
    }
  }
  return hasUrl;
}

function integerIn(value: unknown, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
