/**
 * Run a resolved job: the wiring of the library. The job is made final here (checksum lists filled in) before
 * the engine starts; sources come from one provider per run (HTTP on the run's dispatcher, SSH and FTP connections
 * closed at the end); the mirroring hooks get the output folder's state.
 */
import type { Dispatcher } from 'undici';
import { EngineEmitter, type RunSummary } from './engine/events.js';
import type { FileHooks } from './engine/hooks.js';
import { runTransfers, type TransferOptions } from './engine/run.js';
import { createDispatcher } from './http/agent.js';
import type { ProxySettings } from './http/proxy.js';
import type { ResolvedFile, ResolvedJob } from './job/resolved.js';
import { applyChecksumLists } from './mirror/checksum-lists.js';
import { MirrorHooks } from './mirror/hooks.js';
import type { ByteSource } from './sources/source.js';
import { loadHostCapacities, saveHostCapacities, type SavedHostCapacity } from './storage/host-capacity-file.js';
import { MirrorState } from './storage/mirror-state.js';
import { OutputDir } from './storage/output-dir.js';
import { SourceProvider } from './sources/provider.js';
import { fileSources } from './sources/file-sources.js';
import { MirrorRanking } from './sources/mirrors/ranking.js';

export interface RunOptions extends Pick<TransferOptions, 'signal' | 'events' | 'failFast' | 'splitRules'> {
  /** undici dispatcher to use; by default pdl makes one sized from the job's limits and closes it after. */
  dispatcher?: Dispatcher;
  /** Proxies for the dispatcher pdl makes (ignored when `dispatcher` is given); the engine reads no environment. */
  proxy?: ProxySettings | undefined;
  /** Keep `.pdl-state.json` in the output root even if no file uses `ifExists: newer` (`pdl lock` needs it). */
  keepState?: boolean;
}

/** What the engine needs besides the files: one per run, shared by every file of it (also by a queue worker's files). */
export interface PreparedRun {
  /** The job's files with checksum lists filled in. */
  files: ResolvedFile[];
  hooks: FileHooks;
  source(file: ResolvedFile): ByteSource;
  notes: string[];
  /** What earlier runs learned of each host's connection cap (`.pdl-hosts.json`). */
  hostTargets: ReadonlyMap<string, number>;
  /** Save what the hooks and the engine learned; once, after the last file. */
  saveState(end: { hostTargets: ReadonlyMap<string, number> }): Promise<void>;
  /** End the SSH and FTP connections; once, at the very end. */
  close(): void;
}

export async function prepareRun(job: ResolvedJob, options: RunOptions & { dispatcher: Dispatcher; events: EngineEmitter }): Promise<PreparedRun> {
  const { dispatcher, events } = options;
  const sources = new SourceProvider(dispatcher);
  try {
    const loaded = await MirrorState.load(job.dir);
    const learned = await loadHostCapacities(job.dir);
    // The state file serves `ifExists: newer`. It is kept current by every run in a root that uses it (or did, so a
    // switch between modes stays cheap), and never created elsewhere: `pdl get` and plain jobs leave no extra file
    // in the user's folder and pay no sha256 pass.
    const mirror = loaded.present || options.keepState || job.files.some((file) => file.ifExists === 'newer') ? loaded.state : undefined;
    // Before anything can start: no file runs unverified.
    const lists = await applyChecksumLists(job.files, { dispatcher, signal: options.signal });
    const note = (message: string) => events.emit('run:note', { message });
    const source = fileSources({ provider: sources, note, ranking: new MirrorRanking() });
    const hooks = new MirrorHooks({
      output: new OutputDir(job.dir),
      mirror,
      // Copies known by sha256: entries of the state file (even in roots that do not keep it current) and the cache.
      reuse: { root: job.dir, known: loaded.state, cache: job.cache },
      failAtStart: lists.failures,
      note,
      source,
      retried: (file, info) => events.emit('file:retry', { index: file.index, path: file.relPath, url: file.displayUrl, ...info }),
    });
    return {
      files: lists.files,
      hooks,
      source,
      notes: [...(loaded.note === undefined ? [] : [`${loaded.note}; files with ifExists: newer are downloaded again`]), ...(learned.note === undefined ? [] : [learned.note])],
      hostTargets: new Map([...learned.hosts].map(([host, saved]) => [host, saved.target])),
      // A state file that cannot be saved costs the next `newer` run a download, never a wrong file: a note. The
      // same for the hosts file: the next run finds the caps again.
      saveState: async ({ hostTargets }) => {
        await mirror?.close().catch((error: unknown) => note(error instanceof Error ? error.message : String(error)));
        await saveLearnedHosts(job.dir, job.limits.perHost, learned.hosts, hostTargets).catch((error: unknown) => note(error instanceof Error ? error.message : String(error)));
      },
      close: () => sources.close(),
    };
  } catch (error) {
    sources.close();
    throw error;
  }
}

export async function runJob(job: ResolvedJob, options: RunOptions = {}): Promise<RunSummary> {
  const events = options.events ?? new EngineEmitter();
  // Pools are per origin and a redirect can send several hosts to one origin (a CDN): the scheduler enforces
  // perHost by the hosts in the job, so the pools must not be the tighter limit.
  const dispatcher = options.dispatcher ?? createDispatcher({ perHost: job.limits.connections, proxy: options.proxy });
  let prepared: PreparedRun | undefined;
  try {
    prepared = await prepareRun(job, { ...options, dispatcher, events });
    return await runTransfers(
      { dir: job.dir, limits: job.limits, files: prepared.files },
      { ...options, events, hooks: prepared.hooks, source: prepared.source, notes: prepared.notes, hostTargets: prepared.hostTargets, beforeEnd: prepared.saveState },
    );
  } finally {
    prepared?.close();
    if (!options.dispatcher) await dispatcher.close().catch(() => undefined);
  }
}

/**
 * Keep in `<dir>/.pdl-hosts.json` what this run learned of each host's connection cap, beside what earlier runs
 * learned of other hosts. Written only once a host took fewer connections than perHost (or the file exists): a
 * folder whose hosts never refused anything gets no extra file.
 */
async function saveLearnedHosts(dir: string, perHost: number, before: ReadonlyMap<string, SavedHostCapacity>, now: ReadonlyMap<string, number>): Promise<void> {
  if (before.size === 0 && ![...now.values()].some((target) => target < perHost)) return;
  const hosts = new Map(before);
  const learnedAt = new Date().toISOString();
  for (const [host, target] of now) hosts.set(host, { target, perHost, learnedAt });
  await saveHostCapacities(dir, hosts);
}
