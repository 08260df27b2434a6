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

interface Line {
  indent: number;
  text: string;
}

class Unsure extends Error {}
const unsure = (): never => {
  throw new Unsure();
};

/** The value `yaml` would build from `text`, or undefined when this parser is not sure of it. */
export function quickParse(text: string): unknown {
  if (UNUSUAL.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 0x20) indent++;
    const rest = raw.slice(indent);
    if (rest !== '' && !rest.startsWith('#')) lines.push({ indent, text: rest });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const parser = new QuickParser(lines);
    const value = parser.block(0, 1);
    return parser.done ? value : undefined;
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
}

class QuickParser {
  readonly #lines: Line[];
  #at = 0;

  constructor(lines: Line[]) {
    this.#lines = lines;
  }

  get done(): boolean {
    return this.#at === this.#lines.length;
  }

  /** The mapping or sequence whose first line is the current one, at `indent`. */
  block(indent: number, depth: number): unknown {
    if (depth > MAX_QUICK_DEPTH) unsure();
    return isItem(this.#lines[this.#at]!.text) ? this.#sequence(indent, depth) : this.#mapping(indent, depth);
  }

  #sequence(indent: number, depth: number): unknown[] {
    const items: unknown[] = [];
    for (let line = this.#lines[this.#at]; line?.indent === indent && isItem(line.text); line = this.#lines[this.#at]) {
      let spaces = 1;
      while (line.text.charCodeAt(spaces) === 0x20) spaces++;
      const rest = line.text.slice(spaces);
      if (rest === '' || rest.startsWith('#')) {
        this.#at++;
        items.push(this.#nested(indent, depth));
      } else if (isItem(rest)) {
        unsure(); // `- - a`: a sequence in a sequence on one line
      } else if (keyOf(rest) !== undefined) {
        // `- url: …`: a mapping that starts on the item's line, at the column of its first key.
        this.#lines[this.#at] = { indent: indent + spaces, text: rest };
        items.push(this.#mapping(indent + spaces, depth + 1));
      } else {
        this.#at++;
        items.push(this.#scalarValue(rest, indent));
      }
    }
    return items;
  }

  #mapping(indent: number, depth: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let line = this.#lines[this.#at]; line?.indent === indent; line = this.#lines[this.#at]) {
      const key = keyOf(line.text) ?? unsure();
      if (Object.hasOwn(map, key)) unsure();
      const rest = line.text.slice(key.length + 1).trimStart();
      this.#at++;
      if (rest !== '' && !rest.startsWith('#')) {
        map[key] = this.#scalarValue(rest, indent);
        continue;
      }
      // `files:` followed by `- …` at the key's own indentation is a sequence too.
      const next = this.#lines[this.#at];
      map[key] = next?.indent === indent && isItem(next.text) ? this.#sequence(indent, depth + 1) : this.#nested(indent, depth);
    }
    return map;
  }

  /** What follows an empty `key:` or `-`: a more indented block, or null. */
  #nested(indent: number, depth: number): unknown {
    const next = this.#lines[this.#at];
    return next !== undefined && next.indent > indent ? this.block(next.indent, depth + 1) : null;
  }

  #scalarValue(text: string, indent: number): unknown {
    // A more indented line after a scalar continues it (a multi-line scalar) or is an error: not for this parser.
    if ((this.#lines[this.#at]?.indent ?? -1) > indent) unsure();
    return scalar(text);
  }
}

function isItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** `name` of a `name:` or `name: …` line, when the name is plain text that stays a string. */
function keyOf(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0 || (colon + 1 < text.length && text.charCodeAt(colon + 1) !== 0x20)) return undefined;
  const key = text.slice(0, colon);
  // Longer implicit keys are a YAML error.
  if (key.length > 1024 || !KEY.test(key) || NULL.test(key) || BOOL.test(key) || SPECIAL_KEYS.has(key)) return undefined;
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
  const value = (comment < 0 ? text : text.slice(0, comment)).trimEnd();
  if (value.includes(': ') || value.endsWith(':')) return unsure();
  if (NULL.test(value)) return null;
  if (BOOL.test(value)) return value[0] === 't' || value[0] === 'T';
  if (DECIMAL.test(value)) return parseInt(value, 10);
  if (OTHER_NUMBER.test(value)) return unsure();
  return value;
}
