/**
 * Deterministic file content for tests: the byte at any offset of a (seed, size) file can be computed without
 * the bytes before it, so the fixture server can serve any range of a multi-GiB "file" and tests can check
 * exactly which bytes landed where.
 *
 * Each 4-byte aligned word is a 32-bit hash of (seed, word index). The hash of the index is a bijection for a
 * given seed, so no two aligned words of one file are equal: there is no period, and a block written at a wrong
 * offset never matches. A second, seed-dependent mixing round stops two seeds (or two versions of a file) from
 * being shifted copies of each other. Bytes are the little-endian bytes of each word.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';

export type ContentSeed = string | number;

/** Words are produced through a Uint32Array view, so the canonical little-endian order needs a LE host. */
if (endianness() !== 'LE') throw new Error('test/helpers/content.ts assumes a little-endian host');

const WORDS_PER_KEY_BLOCK = 2 ** 32;
const SCRATCH_BYTES = 64 * 1024;
const HASH_CHUNK_BYTES = 1024 * 1024;

interface Keys {
  readonly a: number;
  readonly b: number;
}

function fmix32(input: number): number {
  let h = input;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const keyCache = new Map<string, Keys>();

function keysOf(seed: ContentSeed): Keys {
  const text = String(seed);
  const cached = keyCache.get(text);
  if (cached !== undefined) return cached;
  // Two FNV-1a passes with different bases give two independent-looking 32-bit keys.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x01000193) + 0x9e3779b9;
  }
  const keys = { a: fmix32(a), b: fmix32(b ^ 0x5bd1e995) };
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(text, keys);
  return keys;
}

/** Files beyond 16 GiB have word indexes past 2^32: each 2^32-word block gets keys derived from its number. */
function keysForBlock(keys: Keys, block: number): Keys {
  if (block === 0) return keys;
  return { a: fmix32(keys.a ^ fmix32(block)), b: fmix32(keys.b + Math.imul(block, 0x9e3779b9)) };
}

function wordAt(keys: Keys, wordIndex: number): number {
  const block = Math.floor(wordIndex / WORDS_PER_KEY_BLOCK);
  const k = keysForBlock(keys, block);
  return fmix32((fmix32((wordIndex % WORDS_PER_KEY_BLOCK) ^ k.a) + k.b) | 0);
}

function fillWords(keys: Keys, firstWord: number, out: Uint32Array): void {
  let i = 0;
  while (i < out.length) {
    const index = firstWord + i;
    const lo = index % WORDS_PER_KEY_BLOCK;
    const run = Math.min(out.length - i, WORDS_PER_KEY_BLOCK - lo);
    const { a, b } = keysForBlock(keys, Math.floor(index / WORDS_PER_KEY_BLOCK));
    // fmix32 inlined twice: this loop is the fixture server's hot path.
    for (let k = 0; k < run; k++) {
      let h = (lo + k) ^ a;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      h = ((h >>> 0) + b) | 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      out[i + k] = h;
    }
    i += run;
  }
}

let scratch: Uint32Array | undefined;

/** Fills `target` with the file's bytes at [offset, offset + target.length). Returns `target`. */
export function fillContent(seed: ContentSeed, offset: number, target: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Expected a non-negative offset, got ${offset}`);
  const keys = keysOf(seed);
  const length = target.length;
  let pos = 0;
  // Leading bytes up to the first word boundary of the file.
  while (pos < length && (offset + pos) % 4 !== 0) {
    const at = offset + pos;
    target[pos] = (wordAt(keys, Math.floor(at / 4)) >>> ((at % 4) * 8)) & 0xff;
    pos++;
  }
  const words = Math.floor((length - pos) / 4);
  if (words > 0) {
    const firstWord = (offset + pos) / 4;
    const byteStart = target.byteOffset + pos;
    if (byteStart % 4 === 0) {
      fillWords(keys, firstWord, new Uint32Array(target.buffer, byteStart, words));
    } else {
      // The caller's buffer is not 4-byte aligned in memory: generate into scratch words and copy.
      scratch ??= new Uint32Array(SCRATCH_BYTES / 4);
      const scratchBytes = new Uint8Array(scratch.buffer);
      for (let done = 0; done < words; ) {
        const n = Math.min(words - done, scratch.length);
        fillWords(keys, firstWord + done, scratch.subarray(0, n));
        target.set(scratchBytes.subarray(0, n * 4), pos + done * 4);
        done += n;
      }
    }
    pos += words * 4;
  }
  // Trailing bytes of a partial last word.
  while (pos < length) {
    const at = offset + pos;
    target[pos] = (wordAt(keys, Math.floor(at / 4)) >>> ((at % 4) * 8)) & 0xff;
    pos++;
  }
  return target;
}

/** A fresh Buffer holding the file's bytes at [offset, offset + length). */
export function contentBytes(seed: ContentSeed, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafeSlow(length);
  fillContent(seed, offset, buffer);
  return buffer;
}

const digestCache = new Map<string, Buffer>();

/** Raw digest of the whole (seed, size) file, computed in 1 MiB slices and memoised. */
export function contentDigest(seed: ContentSeed, size: number, algorithm = 'sha256'): Buffer {
  const key = `${algorithm}\0${size}\0${String(seed)}`;
  const cached = digestCache.get(key);
  if (cached !== undefined) return cached;
  const hash = createHash(algorithm);
  const chunk = Buffer.allocUnsafeSlow(Math.min(HASH_CHUNK_BYTES, Math.max(size, 1)));
  for (let offset = 0; offset < size; offset += chunk.length) {
    const view = chunk.subarray(0, Math.min(chunk.length, size - offset));
    fillContent(seed, offset, view);
    hash.update(view);
  }
  const digest = hash.digest();
  digestCache.set(key, digest);
  return digest;
}

/** Hex digest of the whole (seed, size) file; `algorithm` is any node:crypto hash name. */
export function contentSha256(seed: ContentSeed, size: number, algorithm = 'sha256'): string {
  return contentDigest(seed, size, algorithm).toString('hex');
}
