/**
 * A fast path for the YAML that job files are almost always written in, generated ones above all: block mappings
 * and sequences, plain keys, plain or simply quoted one-line scalars, comments. It builds the plain values directly,
 * without `yaml`'s Document and its node positions, which cost most of the time and memory of loading a big job.
 *
 * It only ever answers for text whose meaning it is sure of, the same values `yaml`'s core schema gives; for
 * anything else (anchors, aliases, tags, flow collections, block scalars, escapes, tabs, CR, document markers,
 * duplicate or forbidden keys, multi-line scalars, floats, deep nesting, invalid YAML) it answers undefined and the
 * caller takes the full parser, which also reports every problem with its position.
 */

/** Deeper structures go the full way, which enforces the real depth limit (yaml.ts MAX_DEPTH). */
const MAX_QUICK_DEPTH = 32;
const KEY = /^[A-Za-z_][\w.$-]*$/;
const SPECIAL_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** The core schema's non-string plain scalars (yaml/dist/schema/core and common/null), except plain decimal integers. */
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const DECIMAL = /^[-+]?[0-9]+$/;
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
/** Characters a plain scalar cannot start with (YAML 1.2 indicators), and `-`, `?`, `:` to keep it simple. */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`');
/** Outside these, a character may mean something to YAML (control characters, NEL, BOM, tabs, CR) or be unprintable. */
const UNUSUAL = /[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ud800-\udfff\ue000-\ufefe\uff00-\ufffd]/;

/** A line that is not blank or a comment: where its content starts (after the indentation) and ends (before `\n`). */
interface Line {
  indent: number;
  start: number;
  end: number;
}

class Unsure extends Error {}
const unsure = (): never => {
  throw new Unsure();
};

const SPACE = 0x20;

/** The value `yaml` would build from `text`, or undefined when this parser is not sure of it. */
export function quickParse(text: string): unknown {
  if (UNUSUAL.test(text)) return undefined;
  const lines: Line[] = [];
  for (let from = 0; from <= text.length; ) {
    const newline = text.indexOf('\n', from);
    const end = newline === -1 ? text.length : newline;
    let start = from;
    while (start < end && text.charCodeAt(start) === SPACE) start++;
    if (start < end && text[start] !== '#') lines.push({ indent: start - from, start, end });
    from = end + 1;
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const parser = new QuickParser(text, lines);
    const value = parser.block(0, 1);
    return parser.done ? value : undefined;
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
}

class QuickParser {
  readonly #text: string;
  readonly #lines: Line[];
  #at = 0;

  constructor(text: string, lines: Line[]) {
    this.#text = text;
    this.#lines = lines;
  }

  get done(): boolean {
    return this.#at === this.#lines.length;
  }

  /** The mapping or sequence whose first line is the current one, at `indent`. */
  block(indent: number, depth: number): unknown {
    if (depth > MAX_QUICK_DEPTH) unsure();
    const line = this.#lines[this.#at]!;
    return this.#isItem(line.start, line.end) ? this.#sequence(indent, depth) : this.#mapping(indent, depth);
  }

  #sequence(indent: number, depth: number): unknown[] {
    const text = this.#text;
    const items: unknown[] = [];
    for (let line = this.#lines[this.#at]; line?.indent === indent && this.#isItem(line.start, line.end); line = this.#lines[this.#at]) {
      let rest = line.start + 1;
      while (rest < line.end && text.charCodeAt(rest) === SPACE) rest++;
      if (rest === line.end || text[rest] === '#') {
        this.#at++;
        items.push(this.#nested(indent, depth));
      } else if (this.#isItem(rest, line.end)) {
        unsure(); // `- - a`: a sequence in a sequence on one line
      } else if (keyAt(text, rest, line.end) !== undefined) {
        // `- url: …`: a mapping that starts on the item's line, at the column of its first key.
        const column = indent + (rest - line.start);
        this.#lines[this.#at] = { indent: column, start: rest, end: line.end };
        items.push(this.#mapping(column, depth + 1));
      } else {
        this.#at++;
        items.push(this.#scalarValue(rest, line.end, indent));
      }
    }
    return items;
  }

  #mapping(indent: number, depth: number): Record<string, unknown> {
    const text = this.#text;
    const map: Record<string, unknown> = {};
    for (let line = this.#lines[this.#at]; line?.indent === indent; line = this.#lines[this.#at]) {
      const key = keyAt(text, line.start, line.end) ?? unsure();
      if (Object.hasOwn(map, key)) unsure();
      let rest = line.start + key.length + 1;
      while (rest < line.end && text.charCodeAt(rest) === SPACE) rest++;
      this.#at++;
      if (rest < line.end && text[rest] !== '#') {
        map[key] = this.#scalarValue(rest, line.end, indent);
        continue;
      }
      // `files:` followed by `- …` at the key's own indentation is a sequence too.
      const next = this.#lines[this.#at];
      map[key] = next?.indent === indent && this.#isItem(next.start, next.end) ? this.#sequence(indent, depth + 1) : this.#nested(indent, depth);
    }
    return map;
  }

  /** What follows an empty `key:` or `-`: a more indented block, or null. */
  #nested(indent: number, depth: number): unknown {
    const next = this.#lines[this.#at];
    return next !== undefined && next.indent > indent ? this.block(next.indent, depth + 1) : null;
  }

  #scalarValue(start: number, end: number, indent: number): unknown {
    // A more indented line after a scalar continues it (a multi-line scalar) or is an error: not for this parser.
    if ((this.#lines[this.#at]?.indent ?? -1) > indent) unsure();
    return scalar(this.#text.slice(start, end));
  }

  /** `-` alone or `- …` from `start`. */
  #isItem(start: number, end: number): boolean {
    return this.#text[start] === '-' && (start + 1 === end || this.#text.charCodeAt(start + 1) === SPACE);
  }
}

/** The key of a `name:` or `name: …` line from `start`, when the name is plain text that stays a string. */
function keyAt(text: string, start: number, end: number): string | undefined {
  const colon = text.indexOf(':', start);
  if (colon <= start || colon >= end || (colon + 1 < end && text.charCodeAt(colon + 1) !== SPACE)) return undefined;
  // Longer implicit keys are a YAML error.
  if (colon - start > 1024) return undefined;
  const key = text.slice(start, colon);
  if (!KEY.test(key) || NULL.test(key) || BOOL.test(key) || SPECIAL_KEYS.has(key)) return undefined;
  return key;
}

function scalar(text: string): unknown {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    const body = text.slice(1, end);
    // Escapes, '' inside single quotes and anything but a comment after the closing quote: the full parser.
    if (end < 0 || (quote === '"' && body.includes('\\')) || !/^(?: +#.*| *)$/.test(text.slice(end + 1))) return unsure();
    return body;
  }
  if (INDICATORS.has(quote!)) return unsure();
  const comment = text.indexOf(' #');
  // YAML trims spaces only (tabs never get here), not every white space String#trim knows.
  let end = comment < 0 ? text.length : comment;
  while (end > 0 && text.charCodeAt(end - 1) === SPACE) end--;
  const value = text.slice(0, end);
  if (value.includes(': ') || value.endsWith(':')) return unsure();
  if (NULL.test(value)) return null;
  if (BOOL.test(value)) return value[0] === 't' || value[0] === 'T';
  if (DECIMAL.test(value)) return parseInt(value, 10);
  if (OTHER_NUMBER.test(value)) return unsure();
  return value;
}
