/**
 * `checksum: sha256:file:<url>`: before any file starts, the run fetches each checksum list once (however many files
 * name it), through the run's dispatcher and pdl's redirect rules, and fills in every such file's `checksum` from its
 * line. From then on the engine verifies it like a digest typed into the job.
 *
 * A file the list cannot vouch for fails on its own when it starts — the others run: a list that could not be
 * fetched fails with the fetch's error (network or protocol class, after the first naming file's retries); a list
 * without a line for the file, with two lines that disagree, or that is no list at all fails with
 * ChecksumListError (integrity: exit 3, the same as a wrong digest). A file is never downloaded unverified.
 *
 * No user headers go to a list: several files with different headers may share it, and a list is public data in
 * every release layout pdl knows of.
 */
import { basename } from 'node:path';
import type { Dispatcher } from 'undici';
import { ChecksumListError, InterruptedError, PdlError, StallError } from '../errors.js';
import { withMessage } from '../error-wrap.js';
import { retrying, STOPPED } from '../engine/retry-loop.js';
import { HttpSource } from '../http/source.js';
import { fileNameFromUrl } from '../job/paths.js';
import type { ChecksumListRef, ResolvedFile } from '../job/resolved.js';
import { lookupChecksum, parseChecksumList } from '../verify/checksum-list.js';
import type { SourceBody } from '../sources/source.js';

/** Far above any real list (Debian's largest SHA256SUMS is ~100 KiB), far below trouble. */
export const MAX_CHECKSUM_LIST_BYTES = 16 * 1024 * 1024;

export interface ChecksumListOptions {
  dispatcher: Dispatcher;
  /** The caller's stop signal: an abort ends the fetches, and the files naming them are interrupted. */
  signal?: AbortSignal | undefined;
}

export interface ChecksumListsOutcome {
  /** The job's files, in the same order; those naming a list have `checksum` filled in. */
  files: ResolvedFile[];
  /** By file index: why a file naming a list must fail as soon as it starts. */
  failures: Map<number, PdlError>;
}

/** Fetch every list the job names (each once) and give each file its line. Never throws. */
export async function applyChecksumLists(files: readonly ResolvedFile[], options: ChecksumListOptions): Promise<ChecksumListsOutcome> {
  const failures = new Map<number, PdlError>();
  const named = files.filter((file) => file.checksumList !== undefined);
  if (named.length === 0) return { files: [...files], failures };

  const texts = new Map<string, Promise<string | PdlError>>();
  for (const file of named) {
    const list = file.checksumList!;
    if (!texts.has(list.url)) texts.set(list.url, fetchChecksumList(list, file, options).catch(asFailure(list)));
  }
  const settled = new Map(await Promise.all([...texts].map(async ([url, text]) => [url, await text] as const)));

  const parsed = new Map<string, ReturnType<typeof parseChecksumList>>();
  const out = files.map((file): ResolvedFile => {
    const list = file.checksumList;
    if (list === undefined) return file;
    const text = settled.get(list.url)!;
    if (text instanceof PdlError) {
      failures.set(file.index, text);
      return file;
    }
    const key = `${list.algorithm} ${list.url}`;
    if (!parsed.has(key)) parsed.set(key, parseChecksumList(text, list.algorithm));
    const entries = parsed.get(key)!;
    const names = namesOf(file);
    const found = lookupChecksum(entries, names);
    if (found.ok) return { ...file, checksum: { algorithm: list.algorithm, hex: found.hex } };
    failures.set(file.index, lookupError(list, found.reason, found.names, entries.entries.size === 0));
    return file;
  });
  return { files: out, failures };
}

/** The output path, its basename, then the URL's last segment (decoded), unless that came from a secret. */
function namesOf(file: ResolvedFile): string[] {
  const fromUrl = fileNameFromUrl(new URL(file.url), file.secrets);
  return [file.relPath, basename(file.relPath), ...(fromUrl.ok ? [fromUrl.path] : [])];
}

function lookupError(list: ChecksumListRef, reason: 'missing' | 'conflict', names: string[], empty: boolean): ChecksumListError {
  const quoted = names.map((name) => JSON.stringify(name));
  const at = { url: list.displayUrl };
  if (reason === 'conflict') {
    return new ChecksumListError(`checksum list ${list.displayUrl} gives different ${list.algorithm} digests for ${quoted.join(', ')}`, at);
  }
  if (empty) {
    return new ChecksumListError(`checksum list ${list.displayUrl} has no ${list.algorithm} lines at all (is it a ${list.algorithm} list?)`, at);
  }
  return new ChecksumListError(`checksum list ${list.displayUrl} has no ${list.algorithm} line for ${quoted.join(' or ')}`, at);
}

function asFailure(list: ChecksumListRef): (error: unknown) => PdlError {
  return (error) => {
    if (!(error instanceof PdlError)) {
      const message = error instanceof Error ? error.message : String(error);
      return new ChecksumListError(`cannot read checksum list ${list.displayUrl}: ${message}`, { url: list.displayUrl, cause: error });
    }
    // Shared by every file naming the list: say once which request failed, keeping the class (and exit code).
    return error.message.includes(list.displayUrl) ? error : withMessage(error, `checksum list ${list.displayUrl}: ${error.message}`);
  };
}

/** GET the list with the retries and stall timeout of the first file naming it; the body as UTF-8 text. */
async function fetchChecksumList(list: ChecksumListRef, file: ResolvedFile, options: ChecksumListOptions): Promise<string> {
  const stopped = () => new InterruptedError(`stopped before checksum list ${list.displayUrl} was read`);
  // No user headers: several files with different headers may share a list.
  const source = new HttpSource({ dispatcher: options.dispatcher, url: list.url, displayUrl: list.displayUrl, headers: {}, secrets: file.secrets });
  let stall = new AbortController();
  const text = await retrying(() => readOnce(list, file, source, options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal, stall), {
    retries: file.retries,
    url: list.displayUrl,
    secrets: file.secrets,
    stopped: () => options.signal?.aborted === true,
    reasonOf: (error) => (stall.signal.aborted ? new StallError(file.timeout, { url: list.displayUrl }) : error),
    waitSignal: () => {
      stall = new AbortController();
      return options.signal ?? stall.signal;
    },
  }).catch((error: unknown) => Promise.reject(options.signal?.aborted ? stopped() : error));
  if (text === STOPPED) throw stopped();
  return text;
}

async function readOnce(list: ChecksumListRef, file: ResolvedFile, source: HttpSource, signal: AbortSignal, stall: AbortController): Promise<string> {
  let timer = setTimeout(() => stall.abort(), file.timeout);
  try {
    const opened = await source.open({ start: 0, end: undefined, ranges: false, held: undefined, first: true, signal });
    if (opened.kind === 'empty') return '';
    if (opened.kind !== 'bytes') throw new ChecksumListError(`checksum list ${list.displayUrl}: unexpected answer (${opened.kind})`, { url: list.displayUrl });
    const { answer } = opened;
    const tooLarge = () => {
      answer.close();
      const cap = `${MAX_CHECKSUM_LIST_BYTES / 1024 / 1024} MiB`;
      return new ChecksumListError(`checksum list ${list.displayUrl} is larger than ${cap}: not a checksum list`, { url: list.displayUrl });
    };
    if (answer.size !== undefined && answer.size > MAX_CHECKSUM_LIST_BYTES) throw tooLarge();
    try {
      const bytes = await readAll(answer.body, MAX_CHECKSUM_LIST_BYTES, () => {
        clearTimeout(timer);
        timer = setTimeout(() => stall.abort(), file.timeout);
      });
      if (bytes === undefined) throw tooLarge();
      return new TextDecoder('utf-8').decode(bytes);
    } finally {
      answer.close();
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The whole body, or undefined as soon as it passes `max` bytes. */
function readAll(body: SourceBody, max: number, onChunk: () => void): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (value: Buffer | undefined, error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined) reject(error);
      else resolve(value);
    };
    body.on('data', (chunk) => {
      length += chunk.length;
      if (length > max) {
        body.pause();
        return finish(undefined);
      }
      chunks.push(chunk);
      onChunk();
    });
    body.on('end', () => finish(Buffer.concat(chunks, length)));
    body.on('error', (error) => finish(undefined, error));
    body.on('close', () => finish(undefined, new Error('the response body closed before its end')));
    body.resume();
  });
}
