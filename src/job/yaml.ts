/**
 * YAML text → plain data plus the document to find positions in, refusing what a job file never needs
 * and an attacker might send: several documents, duplicate keys, tags beyond the core ones, prototype
 * keys, nesting deeper than 64, more than 100 aliases or an alias bomb, and more values or lines than
 * the parser handles in reasonable time and memory. Every refusal is a positioned issue.
 */
import {
  CST, isAlias, isMap, isScalar, isSeq, Lexer, parseDocument, type Alias, type Document, type LineCounter, type Node,
  type Pair, type YAMLMap,
} from 'yaml';
import type { JobIssue } from '../errors.js';
import { FORBIDDEN_KEYS } from './quick-yaml.js';
import { MAX_DEPTH, SCAN_LIMIT, scanText } from './yaml-budget.js';
import type { PathIssue } from './suggest.js';

export const MAX_ALIASES = 100;
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

export type YamlResult = { ok: true; value: unknown; doc: Document.Parsed } | { ok: false; issues: JobIssue[] };

export function parseYaml(text: string, lineCounter: LineCounter): YamlResult {
  const at = (offset: number, message: string): JobIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, path: '', message };
  };
  // The parser itself runs out of memory on a few million values or nested brackets: measure first, cheaply.
  const scan = scanText(text);
  if (scan.tooBig !== undefined) return { ok: false, issues: [positionIn(text, scan.tooBig.offset, scan.tooBig.message)] };
  const deep = scan.deep ? lexedNestingOffset(text) : undefined;
  if (deep !== undefined) return { ok: false, issues: [positionIn(text, deep, `nesting is deeper than ${MAX_DEPTH} levels`)] };

  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      // uniqueKeys: yaml's own check is quadratic in the keys of a map; inspect() does it with a Set.
      lineCounter, prettyErrors: false, uniqueKeys: false, strict: true, schema: 'core', merge: false,
      // Not 'silent': that also drops the MULTIPLE_DOCS error. 'error' prints nothing either.
      logLevel: 'error',
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { ok: false, issues: [{ line: 0, column: 0, path: '', message: `nesting is deeper than ${MAX_DEPTH} levels` }] };
  }
  const problems = [...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], describeYamlError(e.code, e.message)));
  if (problems.length > 0) return { ok: false, issues: problems };
  if (doc.contents === null) {
    return { ok: false, issues: [{ line: 0, column: 0, path: '', message: 'is empty; a job file needs at least `version: 1` and `files:`' }] };
  }

  const aliases: Node[] = [];
  const issues = inspect(doc, aliases).map(({ node, message }) => at(node.range?.[0] ?? 0, message));
  if (issues.length > 0) return { ok: false, issues };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIASES }), doc };
  } catch (error) {
    // An unknown *alias, or aliases that expand into more nodes than the limit allows.
    const where = aliases[0]?.range?.[0] ?? 0;
    const message = error instanceof RangeError ? `nesting is deeper than ${MAX_DEPTH} levels (through aliases)`
      : /Unresolved alias/.test(String(error)) ? `unknown alias: ${String((error as Error).message).replace(/^.*: /, '*')}`
      : 'aliases expand to too much data (a "billion laughs" file?); write the values out';
    return { ok: false, issues: [at(where, message)] };
  }
}

function describeYamlError(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'holds several YAML documents (---); a job file is one document';
  if (code === 'TAG_RESOLVE_FAILED') return `${message}; job files use plain YAML values, without tags`;
  if (/call stack/i.test(message)) return `nesting is deeper than ${MAX_DEPTH} levels`;
  return message;
}

/**
 * Walk the tree without recursion: depth, keys, tags, aliases. Aliases are counted, not followed, so the
 * walk is linear in the file size.
 */
function inspect(doc: Document.Parsed, aliases: Node[]): { node: Node; message: string }[] {
  const found: { node: Node; message: string }[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0 && found.length < 100) {
    const { node, depth } = stack.pop()!;
    if (isAlias(node)) {
      aliases.push(node);
      continue;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      const tag = node.tag.replace('tag:yaml.org,2002:', '!!');
      found.push({ node, message: `unsupported tag ${tag}; job files use plain YAML values, without tags` });
    }
    if (isScalar(node)) continue;
    if (depth > MAX_DEPTH) {
      found.push({ node, message: `nesting is deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    const keys = new Set<string>();
    for (const item of node.items) {
      if (!isMap(node)) {
        stack.push({ node: item, depth: depth + 1 });
        continue;
      }
      const { key, value } = item as { key: unknown; value: unknown };
      stack.push({ node: value, depth: depth + 1 });
      if (isScalar(key) && key.tag !== undefined && !CORE_TAGS.has(key.tag)) {
        stack.push({ node: key, depth: depth + 1 }); // reported as a tag problem
        continue;
      }
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        const where = isAlias(key) || isMap(key) || isSeq(key) || isScalar(key) ? key : node;
        found.push({ node: where as Node, message: 'keys must be plain text' });
        continue;
      }
      const name = String(key.value);
      if (FORBIDDEN_KEYS.has(name)) found.push({ node: key, message: `\`${name}\` is not allowed as a key` });
      // Compared as JS sees them: `1` and "1" become the same property.
      if (keys.has(name)) found.push({ node: key, message: `duplicate key \`${name.length > 60 ? `${name.slice(0, 60)}…` : name}\`` });
      keys.add(name);
      stack.push({ node: key, depth: depth + 1 });
    }
  }
  const byPosition = (a: Node, b: Node) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0);
  aliases.sort(byPosition);
  const tooMany = aliases[MAX_ALIASES];
  if (tooMany) found.push({ node: tooMany, message: `more than ${MAX_ALIASES} aliases; write the values out` });
  return found.sort((a, b) => byPosition(a.node, b.node));
}

/** Offset where brackets, indentation and block indicators on one line (`- - -`, `a: b: c:`) nest too deep. */
function lexedNestingOffset(text: string): number | undefined {
  let flow = 0;
  let onLine = 0;
  let offset = 0;
  let lineStart = true;
  let indent = 0;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'doc-mode' || type === 'scalar' || type === 'flow-error-end') continue; // synthetic, not in the source
    if (type === 'newline') {
      onLine = 0;
      lineStart = true;
      indent = 0;
    } else if (type === 'space' && lineStart) {
      // A block scalar's body arrives as one token spanning lines: only its last line's indent counts.
      indent = token.length - token.lastIndexOf('\n') - 1;
    } else if (lineStart && flow === 0 && type !== 'comment') {
      lineStart = false;
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flow = Math.max(0, flow - 1);
    else if ((type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind') && flow === 0) onLine++;
    if (flow + onLine + indents.length > SCAN_LIMIT) return offset;
    offset += token.length;
  }
  return undefined;
}

function positionIn(text: string, offset: number, message: string): JobIssue {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1, path: '', message };
}

/** Offset of the node an issue is about: the value, or the key for key problems; the nearest parent if missing. */
export function offsetOf(doc: Document.Parsed, issue: PathIssue): number {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  let complete = true;
  for (const segment of issue.path) {
    if (isAlias(node)) node = resolveAlias(doc, node);
    const pair = isMap(node) ? pairsOf(node).get(String(segment)) : undefined;
    if (pair) {
      key = pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      key = undefined;
      node = node.items[segment];
    } else {
      complete = false;
      break;
    }
  }
  const target = issue.at === 'key' && complete && key ? key : (node as Node | null);
  return target?.range?.[0] ?? 0;
}

// Indexes built on first use: a file with a million problems must not search a million keys for each.
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
const aliasTargets = new WeakMap<Alias, unknown>();

function pairsOf(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (name !== undefined && !index.has(name)) index.set(name, pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

function resolveAlias(doc: Document.Parsed, alias: Alias): unknown {
  if (!aliasTargets.has(alias)) aliasTargets.set(alias, alias.resolve(doc));
  return aliasTargets.get(alias);
}
