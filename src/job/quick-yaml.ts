/**
 * A fast path for the YAML that job files are almost always written in, generated ones above all: block mappings
 * and sequences, plain keys, plain or simply quoted one-line scalars, comments. It builds the plain values directly,
 * without `yaml`'s Document and its node positions, which cost most of the time and memory of loading a big job.
 *
 * It only ever answers for text whose meaning it is sure of, the same values `yaml`'s core schema gives; for
 * anything else (anchors, aliases, tags, flow collections, block scalars, escapes, tabs, CR, document markers,
 * duplicate or forbidden keys, multi-line scalars, floats, deep nesting, invalid YAML) it answers undefined and the
 * caller takes the full parser, which also reports every problem with its position.
 *
 * A big job is read once, mostly before V8 has optimised any of this: the text is walked line by line with native
 * searches, keeping only the current line, and per line it builds no more than the key and the value.
 */

/** Deeper structures go the full way, which enforces the real depth limit (yaml.ts MAX_DEPTH). */
const MAX_QUICK_DEPTH = 32;
const KEY = /^[A-Za-z_][\w.$-]*$/;
/** Keys no job file needs and a hostile one might use against object prototypes: refused by the full parse (yaml.ts). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** The core schema's non-string plain scalars (yaml/dist/schema/core and common/null), except plain decimal integers. */
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const DECIMAL = /^[-+]?[0-9]+$/;
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
/** The first characters NULL, BOOL, DECIMAL and OTHER_NUMBER can match (or the empty string): any other value is a string. */
const NON_STRING_STARTS = '~NnTtFf+-.0123456789';
/** Characters a plain scalar cannot start with (YAML 1.2 indicators), and `-`, `?`, `:` to keep it simple. */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`');
/** Outside these, a character may mean something to YAML (control characters, NEL, BOM, tabs, CR) or be unprintable. */
const UNUSUAL = /[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ud800-\udfff\ue000-\ufefe\uff00-\ufffd]/;
/** What may follow a closing quote: spaces, or spaces and a comment. */
const AFTER_QUOTE = /^(?: +#.*| *)$/;

class Unsure extends Error {}
const unsure = (): never => {
  throw new Unsure();
};

const SPACE = 0x20;
const HASH = 0x23;
const DASH = 0x2d;

/** The value `yaml` would build from `text`, or undefined when this parser is not sure of it. */
export function quickParse(text: string): unknown {
  if (UNUSUAL.test(text)) return undefined;
  const parser = new QuickParser(text);
  if (!parser.startsAtColumnOne) return undefined;
  try {
    const value = parser.block(0, 1);
    return parser.done ? value : undefined;
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
}

class QuickParser {
  readonly #text: string;
  /** Each spelling of a key, checked once: a big job repeats a few keys thousands of times. Null: not a plain key. */
  readonly #keys = new Map<string, string | null>();
  /**
   * The current line, neither blank nor a comment: its indentation (-1 once every line is read), where its content
   * starts (after the indentation) and ends (before `\n`), and where the line after it begins.
   */
  #indent = -1;
  #start = 0;
  #end = 0;
  #next = 0;

  constructor(text: string) {
    this.#text = text;
    this.#advance();
  }

  get startsAtColumnOne(): boolean {
    return this.#indent === 0;
  }

  get done(): boolean {
    return this.#indent === -1;
  }

  /** On to the next line that is neither blank nor a comment. */
  #advance(): void {
    const text = this.#text;
    for (let from = this.#next; from <= text.length; ) {
      const newline = text.indexOf('\n', from);
      const end = newline === -1 ? text.length : newline;
      let start = from;
      while (start < end && text.charCodeAt(start) === SPACE) start++;
      if (start < end && text.charCodeAt(start) !== HASH) {
        this.#indent = start - from;
        this.#start = start;
        this.#end = end;
        this.#next = end + 1;
        return;
      }
      from = end + 1;
    }
    this.#indent = -1;
    this.#next = text.length + 1;
  }

  /** The mapping or sequence whose first line is the current one, at `indent`. */
  block(indent: number, depth: number): unknown {
    return this.#isItem(this.#start, this.#end) ? this.#sequence(indent, depth) : this.#mapping(indent, depth);
  }

  #sequence(indent: number, depth: number): unknown[] {
    // Here and in #mapping, not in block(): `- key:` and a key's same-column `- ` reach these without it.
    if (depth > MAX_QUICK_DEPTH) unsure();
    const text = this.#text;
    const items: unknown[] = [];
    while (this.#indent === indent && this.#isItem(this.#start, this.#end)) {
      const start = this.#start;
      const end = this.#end;
      let rest = start + 1;
      while (rest < end && text.charCodeAt(rest) === SPACE) rest++;
      if (rest === end || text.charCodeAt(rest) === HASH) {
        this.#advance();
        items.push(this.#nested(indent, depth));
      } else if (this.#isItem(rest, end)) {
        unsure(); // `- - a`: a sequence in a sequence on one line
      } else if (this.#keyAt(rest, end) !== undefined) {
        // `- url: …`: a mapping that starts on the item's line, at the column of its first key.
        const column = indent + (rest - start);
        this.#indent = column;
        this.#start = rest;
        items.push(this.#mapping(column, depth + 1));
      } else {
        this.#advance();
        items.push(this.#scalarValue(rest, end, indent));
      }
    }
    return items;
  }

  #mapping(indent: number, depth: number): Record<string, unknown> {
    if (depth > MAX_QUICK_DEPTH) unsure();
    const text = this.#text;
    const map: Record<string, unknown> = {};
    while (this.#indent === indent) {
      const start = this.#start;
      const end = this.#end;
      const key = this.#keyAt(start, end) ?? unsure();
      if (Object.hasOwn(map, key)) unsure();
      let rest = start + key.length + 1;
      while (rest < end && text.charCodeAt(rest) === SPACE) rest++;
      this.#advance();
      if (rest < end && text.charCodeAt(rest) !== HASH) {
        map[key] = this.#scalarValue(rest, end, indent);
        continue;
      }
      // `files:` followed by `- …` at the key's own indentation is a sequence too.
      map[key] = this.#indent === indent && this.#isItem(this.#start, this.#end) ? this.#sequence(indent, depth + 1) : this.#nested(indent, depth);
    }
    return map;
  }

  /** What follows an empty `key:` or `-`: a more indented block, or null. */
  #nested(indent: number, depth: number): unknown {
    return this.#indent > indent ? this.block(this.#indent, depth + 1) : null;
  }

  /** The scalar from `start` to `end` of the line before the current one. */
  #scalarValue(start: number, end: number, indent: number): unknown {
    // A more indented line after a scalar continues it (a multi-line scalar) or is an error: not for this parser.
    if (this.#indent > indent) unsure();
    return scalar(this.#text.slice(start, end));
  }

  /** `-` alone or `- …` from `start`. */
  #isItem(start: number, end: number): boolean {
    return this.#text.charCodeAt(start) === DASH && (start + 1 === end || this.#text.charCodeAt(start + 1) === SPACE);
  }

  /** The key of a `name:` or `name: …` line from `start`, when the name is plain text that stays a string. */
  #keyAt(start: number, end: number): string | undefined {
    const text = this.#text;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end || (colon + 1 < end && text.charCodeAt(colon + 1) !== SPACE)) return undefined;
    // Longer implicit keys are a YAML error.
    if (colon - start > 1024) return undefined;
    const written = text.slice(start, colon);
    let key = this.#keys.get(written);
    if (key === undefined) {
      key = KEY.test(written) && !NULL.test(written) && !BOOL.test(written) && !FORBIDDEN_KEYS.has(written) ? written : null;
      this.#keys.set(written, key);
    }
    return key ?? undefined;
  }
}

function scalar(text: string): unknown {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    const body = text.slice(1, end);
    // Escapes, '' inside single quotes and anything but a comment after the closing quote: the full parser.
    if (end < 0 || (quote === '"' && body.includes('\\')) || !AFTER_QUOTE.test(text.slice(end + 1))) return unsure();
    return body;
  }
  if (INDICATORS.has(quote!)) return unsure();
  const comment = text.indexOf(' #');
  // YAML trims spaces only (tabs never get here), not every white space String#trim knows.
  let end = comment < 0 ? text.length : comment;
  while (end > 0 && text.charCodeAt(end - 1) === SPACE) end--;
  const value = text.slice(0, end);
  if (value.includes(': ') || value.endsWith(':')) return unsure();
  if (value !== '' && !NON_STRING_STARTS.includes(value[0]!)) return value;
  if (NULL.test(value)) return null;
  if (BOOL.test(value)) return value[0] === 't' || value[0] === 'T';
  if (DECIMAL.test(value)) return parseInt(value, 10);
  if (OTHER_NUMBER.test(value)) return unsure();
  return value;
}
