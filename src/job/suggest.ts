/**
 * Wording of job-file problems: what a value looks like ("got …"), "did you mean …?" for misspelt keys,
 * and turning zod's issue tree into flat, path-addressed problems a person can act on.
 */
import type { z } from 'zod';
import { describeValue } from './said.js';

const MAX_UNKNOWN_KEYS = 20;

/** A problem addressed by its path in the parsed document; the loader turns the path into line:column. */
export interface PathIssue {
  path: readonly (string | number)[];
  message: string;
  /** Point at the key (unknown or bad keys) rather than the value. */
  at?: 'key' | 'value';
}

/** Damerau–Levenshtein (optimal string alignment) distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Three rolling rows instead of a matrix: keys are short, but there is no reason to allocate one.
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, (before[j - 2] ?? 0) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[t.length] ?? 0;
}

/** The closest candidate within a distance that still reads as a typo (≤ 2, ≤ 1 for very short words). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 3 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function unknownKeyMessage(key: string, known: readonly string[], elsewhere?: string): string {
  const guess = closest(key, known);
  if (guess !== undefined) return `unknown key \`${key}\`; did you mean \`${guess}\`?`;
  if (elsewhere !== undefined) return `unknown key \`${key}\` here; ${elsewhere}`;
  return `unknown key \`${key}\`; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
}

export interface KeyHelp {
  /** Keys allowed in the mapping at `path`. */
  known(path: readonly (string | number)[]): readonly string[];
  /** Where `key` belongs if it is valid elsewhere, e.g. "`dir` can only be set in `defaults`". */
  elsewhere(path: readonly (string | number)[], key: string): string | undefined;
}

/**
 * Flatten zod issues. A failed union is replaced by the issues of the one branch whose type matched
 * (so a file entry mapping reports its bad field, not "invalid input"); unknown keys become one issue per key.
 */
export function explainZodIssues(
  issues: readonly z.core.$ZodIssue[],
  help: KeyHelp,
  base: readonly (string | number)[] = [],
): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    switch (issue.code) {
      case 'unrecognized_keys': {
        // Listed one by one up to a point: a mapping of a million junk keys needs one line, not a million.
        const listed = issue.keys.slice(0, MAX_UNKNOWN_KEYS);
        for (const key of listed) {
          out.push({ path: [...path, key], at: 'key', message: unknownKeyMessage(key, help.known(path), help.elsewhere(path, key)) });
        }
        const more = issue.keys.length - listed.length;
        if (more > 0) out.push({ path, message: `and ${more} more unknown keys` });
        break;
      }
      case 'invalid_union': {
        const matched = issue.errors.filter((branch) => !isRootTypeMismatch(branch));
        const only = matched.length === 1 ? matched[0] : undefined;
        if (only) out.push(...explainZodIssues(only, help, path));
        else out.push({ path, message: issue.message });
        break;
      }
      case 'invalid_key':
        out.push({ path, at: 'key', message: issue.issues[0]?.message ?? issue.message });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

function isRootTypeMismatch(branch: readonly z.core.$ZodIssue[]): boolean {
  const first = branch[0];
  return branch.length === 1 && first !== undefined && first.code === 'invalid_type' && first.path.length === 0;
}

/** Fallback wording for issues whose schema gave no message of its own (passed to safeParse as `error`). */
export function genericIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined) return 'is required but missing';
  if (issue.code === 'invalid_type') {
    return `expected ${KIND_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_value') {
    const options = issue.values.map((v) => JSON.stringify(v)).join(', ');
    return `expected ${issue.values.length > 1 ? `one of ${options}` : options}, got ${describeValue(issue.input)}`;
  }
  return undefined;
}

const KIND_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};
