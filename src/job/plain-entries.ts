/**
 * A fast path through the schema for big jobs: file entries of the plain kinds generated job files use (a URL, or
 * `url` with `path`, `checksum` and a few simple settings) are recognised by hand, and so is a top level of the plain
 * shapes (plain-top.ts): such a job needs no zod at all. Whatever this does not recognise, and every job with a
 * problem, takes the schema, which alone words the issues. It may only ever accept what the schema accepts unchanged
 * (schema.ts transforms nothing). No zod here: `pdl run` of a plain job never loads it.
 */
import { checksumPattern, CONNECTIONS, PRIORITY, RETRIES } from './rules.js';
import { IF_EXISTS_SET, integerIn, plainMapping, plainTop } from './plain-top.js';
import type { JobInput } from './schema.js';

/** The job when its top level and every entry are plainly valid; undefined otherwise. */
export function validatePlainJob(raw: unknown): { success: true; data: JobInput } | undefined {
  const split = plainEntries(raw);
  return split !== undefined && plainTop(split.top) ? { success: true, data: raw as JobInput } : undefined;
}

/** The job's top level apart from its `files`, when every entry is plainly valid; undefined otherwise. */
export function plainEntries(raw: unknown): { top: Record<string, unknown>; files: JobInput['files'] } | undefined {
  // zod also reads inherited keys, which a copy would drop: only literals and parsed YAML go this way.
  if (!plainMapping(raw) || !Array.isArray(raw.files)) return undefined;
  if (raw.files.length === 0 || !allPlain(raw.files)) return undefined;
  const { files, ...top } = raw;
  return { top, files: files as JobInput['files'] };
}

/** Every entry plain, with no holes: `every` skips the holes of a sparse array, which zod rejects. */
function allPlain(files: readonly unknown[]): boolean {
  for (let i = 0; i < files.length; i++) if (!Object.hasOwn(files, i) || !plainlyValid(files[i])) return false;
  return true;
}

/** An entry the schema surely accepts as it is (fileEntrySchema). */
export function plainlyValid(entry: unknown): boolean {
  if (typeof entry === 'string') return entry.length > 0;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || Object.getPrototypeOf(entry) !== Object.prototype) return false;
  let hasUrl = false;
  // Own names, enumerable or not: zod reads a hidden `priority` too, and a for…in would not see it.
  for (const key of Object.getOwnPropertyNames(entry)) {
    if (!Object.prototype.propertyIsEnumerable.call(entry, key)) return false;
    const value = (entry as Record<string, unknown>)[key];
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
        if (!integerIn(value, PRIORITY)) return false;
        break;
      case 'connections':
        if (!integerIn(value, CONNECTIONS)) return false;
        break;
      case 'retries':
        if (!integerIn(value, RETRIES)) return false;
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
