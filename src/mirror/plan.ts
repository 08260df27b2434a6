/**
 * `pdl plan`: what a run would do to each file, without doing it. The local decisions are prepare's own (run
 * read-only: nothing is written, no .part, control file or state file is created or removed); the server is asked
 * with one bodiless probe per file — `Range: bytes=0-0`, conditional when `newer` holds validators — whose body
 * (at most one byte) is never read. One attempt per file, no retries: a plan reports, it does not insist.
 */
import type { Dispatcher } from 'undici';
import { PdlError } from '../errors.js';
import { createDispatcher } from '../http/agent.js';
import type { ProxySettings } from '../http/proxy.js';
import { applyChecksumLists } from './checksum-lists.js';
import { maskSecrets, type ResolvedFile, type ResolvedJob } from '../job/resolved.js';
import { MirrorState } from '../storage/mirror-state.js';
import { OutputDir } from '../storage/output-dir.js';
import { validatorsDiffer, type Validators } from '../sources/source.js';
import { SourceProvider } from '../sources/provider.js';
import { fileSources } from '../sources/file-sources.js';
import { MirrorRanking } from '../sources/mirrors/ranking.js';
import { totalLength } from '../storage/intervals.js';
import { presentFileError } from './existing-file.js';
import { prepareFile } from './prepare.js';
import { probe } from './probe.js';
import type { ReuseSources } from './reuse.js';

export type PlannedAction =
  /** `size` undefined: the server did not say it. */
  | { action: 'download'; size: number | undefined; note?: string }
  | { action: 'repair'; size: number | undefined }
  | { action: 'resume'; size: number; left: number }
  | { action: 'unchanged'; size: number; reason: string }
  | { action: 'reuse'; size: number; from: string }
  | { action: 'skip'; size: number; reason: string }
  | { action: 'fail'; reason: string };

export type PlannedFile = { index: number; path: string; url: string } & PlannedAction;

export interface Plan {
  files: PlannedFile[];
  /** Bytes the run would transfer, over the files whose size is known. */
  totalBytes: number;
  /** Files that would transfer bytes of a size the server did not tell. */
  unknownSizes: number;
}

export interface PlanOptions {
  dispatcher?: Dispatcher;
  /** As RunOptions.proxy. */
  proxy?: ProxySettings | undefined;
  signal?: AbortSignal;
}

export async function planJob(job: ResolvedJob, options: PlanOptions = {}): Promise<Plan> {
  const dispatcher = options.dispatcher ?? createDispatcher({ perHost: job.limits.connections, proxy: options.proxy });
  const signal = options.signal ?? new AbortController().signal;
  const output = new OutputDir(job.dir);
  const { state } = await MirrorState.load(job.dir);
  const reuse = { root: job.dir, known: state, cache: job.cache };
  // Checksum lists decide what a run does with present files: fetch them as the run would (lists only, no files).
  const lists = await applyChecksumLists(job.files, { dispatcher, signal });
  const sources = new SourceProvider(dispatcher);
  const files = lists.files;
  const planned: PlannedFile[] = new Array<PlannedFile>(files.length);
  let next = 0;
  // As many files at once as a run would start: bounded, and kind to the servers.
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i]!;
      const ref = { index: file.index, path: file.relPath, url: file.displayUrl };
      const listFailure = lists.failures.get(file.index);
      const action = listFailure
        ? failed(file, listFailure)
        : await planFile(file, output, state, reuse, sources, signal).catch((error: unknown) => failed(file, error));
      planned[i] = { ...ref, ...action };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(job.limits.files, files.length) }, worker));
  } finally {
    sources.close();
    if (!options.dispatcher) await dispatcher.close().catch(() => undefined);
  }
  let totalBytes = 0;
  let unknownSizes = 0;
  for (const file of planned) {
    const bytes = bytesOf(file);
    if (bytes === undefined) unknownSizes++;
    else totalBytes += bytes;
  }
  return { files: planned, totalBytes, unknownSizes };
}

/** What the run would fetch for this file: 0 for anything that needs no body, undefined when unknown. */
export function bytesOf(file: PlannedAction): number | undefined {
  if (file.action === 'download' || file.action === 'repair') return file.size;
  if (file.action === 'resume') return file.left;
  return 0;
}

async function planFile(
  file: ResolvedFile,
  output: OutputDir,
  state: MirrorState,
  reuse: ReuseSources,
  sources: SourceProvider,
  signal: AbortSignal,
): Promise<PlannedAction> {
  const prep = await prepareFile(file, output, state.get(file.relPath), { readOnly: true, reuse });
  // A file with mirrors is asked the way a run would: the first mirror that answers.
  const source = fileSources({ provider: sources, note: () => undefined, ranking: new MirrorRanking() })(file);
  const ask = (kept?: { size: number; validators: Validators }) => probe(file, source, signal, kept);
  switch (prep.action) {
    case 'skip':
      return { action: 'skip', size: prep.size, reason: prep.reason };
    case 'unchanged':
      return { action: 'unchanged', size: prep.size, reason: prep.reason };
    case 'compare-size': {
      const answer = await ask();
      const size = answer.kind === 'ok' ? answer.size : undefined;
      if (size === prep.size) return { action: 'skip', size, reason: 'already present, the size the server has' };
      return { action: 'fail', reason: maskSecrets(presentFileError(file, prep.size, size).message, file.secrets) };
    }
    case 'reuse':
      return { action: 'reuse', size: prep.candidate.size, from: prep.candidate.label };
    case 'conditional': {
      const answer = await ask({ size: prep.entry.size, validators: { etag: prep.entry.etag, lastModified: prep.entry.lastModified } });
      if (answer.kind === 'not-modified') return { action: 'unchanged', size: prep.entry.size, reason: 'not modified on the server' };
      return { action: 'download', size: answer.size, note: 'a new version on the server' };
    }
    case 'resume': {
      const held = { etag: prep.state.etag, lastModified: prep.state.lastModified };
      const answer = await ask();
      const size = prep.state.size!;
      if (answer.kind === 'ok' && (validatorsDiffer(held, answer.validators) || (answer.size !== undefined && answer.size !== size))) {
        return { action: 'download', size: answer.size, note: 'changed on the server since the partial download' };
      }
      return { action: 'resume', size, left: size - totalLength(prep.state.done) };
    }
    case 'fresh': {
      const answer = await ask();
      const size = answer.kind === 'ok' ? answer.size : undefined;
      if (prep.repair === true) return { action: 'repair', size };
      return prep.note === undefined ? { action: 'download', size } : { action: 'download', size, note: prep.note };
    }
  }
}

function failed(file: ResolvedFile, error: unknown): PlannedAction {
  const message = error instanceof PdlError || error instanceof Error ? error.message : String(error);
  return { action: 'fail', reason: maskSecrets(message, file.secrets) };
}
