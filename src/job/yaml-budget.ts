/**
 * The budgets every job file's YAML is held to, measured by one cheap pass over the text before any parser runs, and
 * the block-style fast path (quick-yaml.ts) within them. No `yaml` package here: a plain job never loads it.
 */
import { quickParse } from './quick-yaml.js';

export const MAX_DEPTH = 64;
/** The pre-parse scan only approximates depth, so it stops at twice the limit; the tree walk is exact. */
export const SCAN_LIMIT = 2 * MAX_DEPTH;
/**
 * `yaml` spends ~5–10 µs and several hundred bytes per node: 16 MiB of `[a,a,a,…]` exhausts a 4 GB heap.
 * These budgets keep the worst case to a few seconds and about 1 GB. A "value" is a bracket, comma or
 * `- `/`: `/`? ` indicator; a long-form file entry uses about five, so some 100 000 files fit.
 */
export const MAX_VALUES = 500_000;
export const MAX_LINES = 1_000_000;

/**
 * The plain value of a job file written in the common block style (quick-yaml.ts), within the same budgets as
 * parseYaml; undefined when the full parser must decide (it is then also the one to report any problem).
 */
export function quickYaml(text: string): { value: unknown } | undefined {
  if (!withinBudgets(text)) return undefined;
  const value = quickParse(text);
  return value === undefined ? undefined : { value };
}

/**
 * One pass over the characters: count values and lines against the budgets, and bound the depth from
 * above (open brackets + indentation width + indicators on the line). Only when that bound is exceeded
 * does the exact, slower lexer pass run, so ordinary files pay a few milliseconds. Counts include
 * look-alikes inside strings and comments: the budgets are generous enough for that.
 */
export function scanText(text: string): { deep: boolean; tooBig?: { offset: number; message: string } } {
  let brackets = 0;
  let onLine = 0;
  let atStart = true;
  let deep = false;
  let values = 0;
  let lines = 0;
  const split = ' into several job files';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      if (++lines > MAX_LINES) return { deep, tooBig: { offset: i, message: `has more than ${MAX_LINES} lines; split it${split}` } };
      onLine = 0;
      atStart = true;
      continue;
    }
    if (c === 0x20 && atStart) onLine++;
    else atStart = false;
    if (c === 0x5b || c === 0x7b) {
      brackets++;
      values++;
    } else if (c === 0x2c) values++;
    else if ((c === 0x2d || c === 0x3a || c === 0x3f) && (text.charCodeAt(i + 1) === 0x20 || text.charCodeAt(i + 1) === 0x0a)) {
      onLine++;
      values++;
    }
    if (values > MAX_VALUES) return { deep, tooBig: { offset: i, message: `has more than ${MAX_VALUES} values; split it${split}` } };
    if (brackets + onLine > SCAN_LIMIT) deep = true;
  }
  return { deep };
}


/**
 * Whether scanText finds `text` neither too big nor deep, mostly by native searches: a per-character loop costs a big
 * job several times more before V8 has optimised it. The counts are scanText's; each line's nesting is bounded from
 * above (all brackets in the text, its indentation, and at most every other character after that being an indicator,
 * as each is followed by a space or newline), counted exactly on a line where that bound is too high, and only when
 * that is too high as well does scanText itself decide.
 */
export function withinBudgets(text: string): boolean {
  const brackets = occurrences(text, '[') + occurrences(text, '{');
  let lines = 0;
  for (let from = 0; ; ) {
    const newline = text.indexOf('\n', from);
    const end = newline === -1 ? text.length : newline;
    let start = from;
    while (start < end && text.charCodeAt(start) === 0x20) start++;
    if (brackets + (start - from) + Math.ceil((end - start) / 2) > SCAN_LIMIT &&
      brackets + (start - from) + indicatorsIn(text, start, end) > SCAN_LIMIT) {
      const scan = scanText(text);
      return scan.tooBig === undefined && !scan.deep;
    }
    if (newline === -1) break;
    lines++;
    from = newline + 1;
  }
  if (lines > MAX_LINES) return false;
  let values = brackets + occurrences(text, ',');
  for (const indicator of ['-', ':', '?']) values += occurrences(text, `${indicator} `) + occurrences(text, `${indicator}\n`);
  return values <= MAX_VALUES;
}

function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

/** `-`, `:` and `?` followed by a space or newline, as scanText counts them, from `start` to `end` (a line's end). */
function indicatorsIn(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x2d || c === 0x3a || c === 0x3f) && (text.charCodeAt(i + 1) === 0x20 || text.charCodeAt(i + 1) === 0x0a)) count++;
  }
  return count;
}
