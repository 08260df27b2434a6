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
import { parseContentLength } from '../http/headers.js';
import { get } from '../http/request.js';
import { fileNameFromUrl } from '../job/paths.js';
import type { ChecksumListRef, ResolvedFile } from '../job/resolved.js';
import { lookupChecksum, parseChecksumList } from '../verify/checksum-list.js';
import { statusError } from './fetch-range.js';
import { classifyRetry } from './retry-decision.js';

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
    if (!error.message.includes(list.displayUrl)) error.message = `checksum list ${list.displayUrl}: ${error.message}`;
    return error;
  };
}

/** GET the list with the retries and stall timeout of the first file naming it; the body as UTF-8 text. */
async function fetchChecksumList(list: ChecksumListRef, file: ResolvedFile, options: ChecksumListOptions): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new InterruptedError(`stopped before checksum list ${list.displayUrl} was read`);
    const stall = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
    try {
      return await readOnce(list, file, options.dispatcher, signal, stall);
    } catch (error) {
      if (options.signal?.aborted) throw new InterruptedError(`stopped before checksum list ${list.displayUrl} was read`);
      const reason = stall.signal.aborted ? new StallError(file.timeout, { url: list.displayUrl }) : error;
      const decision = classifyRetry(reason, attempt, file.retries, list.displayUrl, file.secrets);
      if (!decision.retry) throw decision.error;
      await sleep(decision.delayMs, options.signal);
    }
  }
}

async function readOnce(list: ChecksumListRef, file: ResolvedFile, dispatcher: Dispatcher, signal: AbortSignal, stall: AbortController): Promise<string> {
  let timer = setTimeout(() => stall.abort(), file.timeout);
  try {
    const response = await get({
      dispatcher,
      url: list.url,
      userHeaders: {},
      pdlHeaders: { 'accept-encoding': 'identity' },
      signal,
      secrets: file.secrets,
    });
    const { statusCode, headers, body } = response;
    // undici reports a body destroyed by an abort as an error event: expected here, handled by the read.
    body.on('error', () => undefined);
    if (statusCode !== 200) {
      await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw statusError(statusCode, headers, list.displayUrl);
    }
    const encoding = headers['content-encoding'];
    if (typeof encoding === 'string' && encoding.toLowerCase() !== 'identity') {
      body.destroy();
      throw new ChecksumListError(`checksum list ${list.displayUrl} came with Content-Encoding ${encoding}, which pdl does not decode`, { url: list.displayUrl });
    }
    const tooLarge = () => {
      body.destroy();
      const cap = `${MAX_CHECKSUM_LIST_BYTES / 1024 / 1024} MiB`;
      return new ChecksumListError(`checksum list ${list.displayUrl} is larger than ${cap}: not a checksum list`, { url: list.displayUrl });
    };
    const announced = parseContentLength(headers['content-length']);
    if (announced.ok && announced.value !== undefined && announced.value > MAX_CHECKSUM_LIST_BYTES) throw tooLarge();
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > MAX_CHECKSUM_LIST_BYTES) throw tooLarge();
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(), file.timeout);
    }
    return new TextDecoder('utf-8').decode(Buffer.concat(chunks, length));
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
