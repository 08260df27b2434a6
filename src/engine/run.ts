/**
 * Runs the transfers of a job: one scheduler hands connection slots to files first and to byte ranges of files in flight
 * second, within limits.connections and limits.perHost; a failed file gives its slots back; a stop saves every
 * file in flight for a rerun. Returns a summary; emits events for reporters.
 */
import type { ResolvedFile, ResolvedJob } from '../job/resolved.js';
import type { ByteSource } from '../sources/source.js';
import { releaseIdleTemplates } from '../storage/file-claim.js';
import { OutputDir } from '../storage/output-dir.js';
import { EngineEmitter, type FileResult, type RunSummary } from './events.js';
import type { FileTaskContext } from './file-context.js';
import { FileTask } from './file-task.js';
import type { FileHooks } from './hooks.js';
import { HostSlots } from './host-slots.js';
import { queuedFiles, queuedHosts, type QueuedFile } from './queued-file.js';
import { DEFAULT_SPLIT_RULES, type SplitRules } from './split-policy.js';
import { nextAction, startOrder } from './scheduler.js';
import { TokenBucket } from './token-bucket.js';

export interface TransferOptions {
  /** Where each file's bytes come from. */
  source(file: ResolvedFile): ByteSource;
  /** What is on disk and remembered (see hooks.ts). */
  hooks: FileHooks;
  /** Notes to tell right after the run starts. */
  notes?: readonly string[];
  /**
   * Called once every file has settled, before the output folder is synced and the summary told, with how many
   * connections each host took by the end (`hostTargets`: the caller keeps them for the next run).
   */
  beforeEnd?: (end: { hostTargets: ReadonlyMap<string, number> }) => Promise<void>;
  /** Connections each host took in an earlier run (host key: a URL's `host`); pdl starts there instead of at perHost. */
  hostTargets?: ReadonlyMap<string, number>;
  /**
   * Change when a range is worth splitting (split-policy.ts), e.g. `{ minRemainingMs: 0 }` to split whatever is
   * measured (tests of split-range behaviour on short transfers do); the defaults are what the issue of splitting asks.
   */
  splitRules?: Partial<SplitRules>;
  /** Abort to stop the run cleanly: connections stop, progress is saved, files report 'interrupted'. */
  signal?: AbortSignal;
  /** Where events go; make one and subscribe reporters before calling. */
  events?: EngineEmitter;
  /** Stop the whole run at the first failed file. */
  failFast?: boolean;
  /** Pace the bytes by this instead of a bucket of `limits.rate`: a limit shared beyond this run (a queue worker's). */
  rateLimit?: (bytes: number, signal: AbortSignal) => Promise<void>;
}

const TICK_MS = 100;
const PROGRESS_EVERY_TICKS = 5;

export async function runTransfers(job: Pick<ResolvedJob, 'dir' | 'files' | 'limits'>, options: TransferOptions): Promise<RunSummary> {
  const events = options.events ?? new EngineEmitter();
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);

  const output = new OutputDir(job.dir);
  const bucket = job.limits.rate > 0 && !options.rateLimit ? new TokenBucket({ rate: job.limits.rate }) : undefined;
  const startedAt = Date.now();
  const hosts = new HostSlots(job.limits.perHost, options.hostTargets);
  let total = 0;
  let pumpQueued = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Files between connections (verifying, waiting for a slot) must hear about a stop too.
  stop.signal.addEventListener('abort', () => schedulePump(), { once: true });
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const ctx: FileTaskContext = {
    events,
    output,
    source: options.source,
    hooks: options.hooks,
    splitRules: { ...DEFAULT_SPLIT_RULES, ...options.splitRules },
    rateLimit: options.rateLimit ?? (bucket ? (bytes, signal) => bucket.take(bytes, signal) : undefined),
    runSignal: stop.signal,
    released(task, slot) {
      total--;
      hosts.release(slot.host, slot.answered ?? false);
      // Stop now, not when the failed file has settled (after its .part is dealt with): the slot it just gave back
      // must not start another file meanwhile.
      if (task.failed && options.failFast) stop.abort('fail-fast');
      schedulePump();
    },
    wake: () => schedulePump(),
    hostAnswered(host) {
      hosts.answered(host, Date.now());
      // The host's slow start may allow more connections now: do not wait for the next tick.
      schedulePump();
    },
    hostRefused: (host, reason, answered) => hosts.refused(host, reason, answered, Date.now()),
  };

  // Tasks are made as files start and dropped as they settle (queued-file.ts): only files in flight hold one.
  const entries = queuedFiles(startOrder(job.files));
  const byKey = new Map<number, FileTask>();
  const queued = new HostQueues(entries);
  /** Bytes of the files that settled. */
  let settledBytes = 0;
  const inFlight: FileTask[] = [];
  const results = new Map<number, FileResult>();

  const reserve = (host: string) => {
    total++;
    hosts.reserve(host);
  };

  function pump(): void {
    pumpQueued = false;
    if (stop.signal.aborted) {
      for (const task of inFlight) task.runStopped();
      return checkEnd();
    }
    for (;;) {
      // Again after each reservation: a host first reserved in this loop (a file's next mirror) starts slowly too.
      const { hosts: hostLimits, splits: splitLimits } = hosts.limits(Date.now());
      const action = nextAction({
        limits: job.limits,
        total,
        perHost: hosts.open,
        hostLimits,
        splitLimits,
        queued: queued.heads().map((entry) => ({ key: entry.file.index, hosts: queuedHosts(entry) })),
        inFlight: inFlight.map((t) => ({ key: t.file.index, hosts: t.hosts(), active: t.active, max: t.file.connections, gain: t.demand() })),
      });
      if (!action) break;
      const task = action.kind === 'start' ? startTask(queued.head(action.key)) : byKey.get(action.key)!;
      // The slot is the host's the scheduler chose among the file's hosts; the task's connection goes there.
      reserve(action.host);
      if (action.kind === 'start') {
        inFlight.push(task);
        void task.result.then((result) => settle(task, result));
        task.begin(action.host);
      } else {
        task.connect(action.host);
      }
    }
    checkEnd();
  }

  function startTask(entry: QueuedFile): FileTask {
    queued.remove(entry);
    const task = new FileTask(entry.file, ctx);
    byKey.set(entry.file.index, task);
    return task;
  }

  function schedulePump(): void {
    if (pumpQueued) return;
    pumpQueued = true;
    queueMicrotask(pump);
  }

  function settle(task: FileTask, result: FileResult): void {
    inFlight.splice(inFlight.indexOf(task), 1);
    results.set(task.file.index, result);
    byKey.delete(task.file.index);
    settledBytes += task.transferred;
    if (result.outcome === 'failed' && options.failFast) stop.abort('fail-fast');
    schedulePump();
  }

  function checkEnd(): void {
    if (inFlight.length === 0 && (queued.size === 0 || stop.signal.aborted)) finish();
  }

  events.emit('run:start', { files: entries.length, totalBytes: undefined, startedAt });
  for (const message of options.notes ?? []) events.emit('run:note', { message });
  for (const entry of entries) events.emit('file:queued', { ...entry.ref, priority: entry.file.priority });

  let ticks = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const task of inFlight) task.watchdog(now);
    // Measured rates change without an event (a connection warms up, a host's Retry-After passes): look again.
    schedulePump();
    if (++ticks % PROGRESS_EVERY_TICKS === 0) emitProgress(now);
  }, TICK_MS);

  function emitProgress(now: number): void {
    let speed = 0;
    for (const task of inFlight) {
      const fileSpeed = task.meter.sample(now);
      speed += fileSpeed;
      events.emit('file:progress', {
        ...task.ref,
        transferred: task.transferred,
        completedBytes: task.completedBytes,
        total: task.size,
        speed: fileSpeed,
        connections: task.connections(now),
      });
    }
    const done = [...results.values()];
    events.emit('run:progress', {
      filesDone: done.filter((r) => r.outcome !== 'failed').length,
      filesFailed: done.filter((r) => r.outcome === 'failed').length,
      filesTotal: entries.length,
      transferred: transferredSoFar(),
      totalBytes: bytesThisRun(),
      speed,
      active: inFlight.length,
    });
  }

  /** What this run will have transferred in all, once nothing is queued and every size in flight is known. */
  function bytesThisRun(): number | undefined {
    if (queued.size > 0) return undefined;
    let remaining = 0;
    for (const task of inFlight) {
      if (task.size === undefined) return undefined;
      remaining += task.size - task.completedBytes;
    }
    return transferredSoFar() + remaining;
  }

  function transferredSoFar(): number {
    let sum = settledBytes;
    for (const task of inFlight) sum += task.transferred;
    return sum;
  }

  schedulePump();
  try {
    await finished;
  } finally {
    clearInterval(ticker);
    await options.beforeEnd?.({ hostTargets: hosts.targets() });
    await output.sync();
    // Claim templates wait a moment for their folder's next claim (storage/claim-template.ts): none outlives the run.
    await releaseIdleTemplates();
    options.signal?.removeEventListener('abort', onAbort);
  }

  for (const entry of queued.all()) {
    results.set(entry.file.index, { ...entry.ref, outcome: 'interrupted', size: undefined, transferred: 0, completedBytes: 0, elapsedMs: 0, sha256: undefined, error: undefined });
  }
  const files = [...results.values()].sort((a, b) => a.index - b.index);
  const elapsedMs = Date.now() - startedAt;
  const transferred = transferredSoFar();
  const summary: RunSummary = {
    files,
    done: files.filter((f) => f.outcome === 'downloaded' || f.outcome === 'resumed' || f.outcome === 'repaired' || f.outcome === 'reused').length,
    skipped: files.filter((f) => f.outcome === 'skipped').length,
    unchanged: files.filter((f) => f.outcome === 'unchanged').length,
    failed: files.filter((f) => f.outcome === 'failed').length,
    interrupted: files.filter((f) => f.outcome === 'interrupted').length,
    transferred,
    elapsedMs,
    speed: elapsedMs > 0 ? (transferred * 1000) / elapsedMs : 0,
    stopped: stop.signal.aborted ? stopReason(stop.signal.reason) : undefined,
  };
  events.emit('run:done', summary);
  return summary;
}

/**
 * Files not started yet, one queue per host (a file's first URL's host, even when it has mirrors). Only the head of each host's queue can be the next to start (a later
 * file of a host at its cap is not startable either), so the scheduler looks at a handful of heads, not 10,000 files.
 */
class HostQueues {
  #queues = new Map<string, { tasks: QueuedFile[]; head: number }>();
  size: number;

  /** `tasks` in start order. */
  constructor(tasks: QueuedFile[]) {
    this.size = tasks.length;
    let last: { host: string; queue: { tasks: QueuedFile[]; head: number } } | undefined;
    for (const task of tasks) {
      // Most jobs name one host for long runs of files: look the queue up once per run, not once per file.
      if (last?.host !== task.host) {
        let queue = this.#queues.get(task.host);
        if (queue === undefined) this.#queues.set(task.host, (queue = { tasks: [], head: 0 }));
        last = { host: task.host, queue };
      }
      last.queue.tasks.push(task);
    }
  }

  /** The first waiting file of each host, in start order. */
  heads(): QueuedFile[] {
    const heads: QueuedFile[] = [];
    for (const queue of this.#queues.values()) {
      const task = queue.tasks[queue.head];
      if (task) heads.push(task);
    }
    return heads.sort((a, b) => a.order - b.order);
  }

  /** The waiting file the scheduler chose to start: always a head. */
  head(key: number): QueuedFile {
    const found = this.heads().find((entry) => entry.file.index === key);
    if (!found) throw new Error('only the head of a host queue can start');
    return found;
  }

  /** Remove a head (the scheduler only ever starts heads). */
  remove(task: QueuedFile): void {
    const queue = this.#queues.get(task.host)!;
    if (queue.tasks[queue.head] !== task) throw new Error('only the head of a host queue can start');
    queue.head++;
    this.size--;
  }

  all(): QueuedFile[] {
    return [...this.#queues.values()].flatMap((queue) => queue.tasks.slice(queue.head));
  }
}

function stopReason(reason: unknown): RunSummary['stopped'] {
  return reason === 'SIGINT' || reason === 'SIGTERM' || reason === 'max-runtime' ? reason : 'abort';
}
