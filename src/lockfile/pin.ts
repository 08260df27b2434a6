/**
 * `pdl pin`'s text edit: add `checksum: sha256:<hex>` to job entries that have none, and change nothing else —
 * comments, order, quoting, blank lines and line endings stay byte for byte. The YAML is parsed only to find
 * where each entry is (node ranges); the edit itself is text inserted at those offsets, so the printer never
 * re-formats the file. The result is parsed again and must equal the input plus the checksums.
 *
 * A short-form entry (a bare URL) cannot carry a key, so it becomes a mapping: `- https://…` turns into
 * `- url: https://…` followed by a `checksum:` line; in a flow list it becomes `{ url: …, checksum: … }`.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar, type YAMLMap } from 'yaml';
import { InternalError, UsageError } from '../errors.js';

export interface PinResult {
  text: string;
  /** Indexes of the entries that received a checksum, in file order. */
  pinned: number[];
}

interface Edit {
  at: number;
  /** Characters replaced from `at` (0: a pure insertion). */
  remove: number;
  insert: string;
}

/**
 * `digests`: sha256 (lower-case hex) by entry index. Entries with a checksum already, and indexes absent from
 * `digests`, are left alone. Throws UsageError for an entry it cannot edit safely (an alias, a multi-line URL).
 */
export function pinChecksums(text: string, digests: ReadonlyMap<number, string>): PinResult {
  const doc = parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: false, merge: false });
  if (doc.errors.length > 0) throw new UsageError(`cannot pin: the job file does not parse (${doc.errors[0]!.message})`);
  const root = doc.contents;
  const files = isMap(root) ? root.get('files', true) : undefined;
  if (!isSeq(files)) throw new UsageError('cannot pin: the job file has no `files:` list');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const edits: Edit[] = [];
  const pinned: number[] = [];
  files.items.forEach((item, index) => {
    const hex = digests.get(index);
    if (hex === undefined) return;
    const checksum = `sha256:${hex}`;
    if (isMap(item)) {
      if (item.has('checksum')) return;
      edits.push(item.flow ? flowMapEdit(text, item, checksum, index) : blockMapEdit(text, item, checksum, eol, index));
    } else if (isScalar(item) && item.range) {
      edits.push(...shortFormEdits(text, item, checksum, eol, files.flow === true, index));
    } else {
      throw new UsageError(`cannot pin files[${index}]: it is not written out (an alias?); write the entry out or add its checksum by hand`);
    }
    pinned.push(index);
  });
  const out = applyEdits(text, edits);
  checkResult(text, out, files.items.length, pinned, digests);
  return { text: out, pinned };
}

/** After the line holding the `url:` value (or the last pair), at the mapping's own indentation. */
function blockMapEdit(text: string, map: YAMLMap, checksum: string, eol: string, index: number): Edit {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === 'url') ?? map.items.at(-1);
  const key = pair?.key as Node | undefined;
  const value = (pair?.value ?? pair?.key) as Node | undefined;
  if (!key?.range || !value?.range) throw new UsageError(`cannot pin files[${index}]: the entry has no url`);
  const indent = key.range[0] - lineStart(text, key.range[0]);
  // Only spaces and `- ` indicators before the key: then its column is the mapping's indentation.
  if (!/^ *(- +)*$/.test(text.slice(lineStart(text, key.range[0]), key.range[0]))) {
    throw new UsageError(`cannot pin files[${index}]: unusual layout; add its checksum by hand`);
  }
  const at = afterLine(text, value.range[1]);
  const prefix = at === text.length && !text.endsWith('\n') ? eol : '';
  return { at, remove: 0, insert: `${prefix}${' '.repeat(indent)}checksum: ${checksum}${prefix ? '' : eol}` };
}

/** `{ url: …, path: … }` → `{ url: …, path: …, checksum: … }`. */
function flowMapEdit(text: string, map: YAMLMap, checksum: string, index: number): Edit {
  const end = map.range?.[1];
  const close = end === undefined ? -1 : text.lastIndexOf('}', end);
  if (close < 0) throw new UsageError(`cannot pin files[${index}]: unusual layout; add its checksum by hand`);
  let before = close - 1;
  while (before >= 0 && /\s/.test(text[before]!)) before--;
  const comma = text[before] === ',' || text[before] === '{' ? '' : ',';
  return { at: before + 1, remove: 0, insert: `${comma} checksum: ${checksum}` };
}

function shortFormEdits(text: string, scalar: Scalar, checksum: string, eol: string, inFlow: boolean, index: number): Edit[] {
  const [start, end] = scalar.range!;
  const source = text.slice(start, end);
  if (source.includes('\n')) throw new UsageError(`cannot pin files[${index}]: its URL spans several lines; write it on one line`);
  if (inFlow) {
    return [{ at: start, remove: 0, insert: '{ url: ' }, { at: end, remove: 0, insert: `, checksum: ${checksum} }` }];
  }
  const indent = start - lineStart(text, start);
  const at = afterLine(text, end);
  const prefix = at === text.length && !text.endsWith('\n') ? eol : '';
  return [
    { at: start, remove: 0, insert: 'url: ' },
    { at, remove: 0, insert: `${prefix}${' '.repeat(indent)}checksum: ${checksum}${prefix ? '' : eol}` },
  ];
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just past the end of the line `offset` is on (past its comment and line break). */
function afterLine(text: string, offset: number): number {
  // A block scalar's range already ends past its line break.
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  // From the end, so earlier offsets stay valid; two edits at one offset keep their order.
  const sorted = edits.map((edit, order) => ({ edit, order })).sort((a, b) => b.edit.at - a.edit.at || b.order - a.order);
  for (const { edit } of sorted) out = out.slice(0, edit.at) + edit.insert + out.slice(edit.at + edit.remove);
  return out;
}

/** The edited text must parse to the same data with exactly the new checksums: never write a broken job. */
function checkResult(before: string, after: string, count: number, pinned: number[], digests: ReadonlyMap<number, string>): void {
  const parse = (text: string) => parseDocument(text, { uniqueKeys: false, merge: false });
  const a = parse(before).toJS() as { files: unknown[] };
  const doc = parse(after);
  if (doc.errors.length > 0) throw new InternalError(`pin produced YAML that does not parse (${doc.errors[0]!.message}); the job file was not changed`);
  const b = doc.toJS() as { files: unknown[] };
  const expected = a.files.map((entry, index) => {
    const hex = pinned.includes(index) ? digests.get(index) : undefined;
    if (hex === undefined) return entry;
    const base = typeof entry === 'string' ? { url: entry } : (entry as object);
    return { ...base, checksum: `sha256:${hex}` };
  });
  const same = isDeepStrictEqual({ ...a, files: expected }, b) && b.files.length === count;
  if (!same) throw new InternalError('pin would change more than the checksums; the job file was not changed');
}
