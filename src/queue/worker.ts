/**
 * A worker of a shared job (`pdl run --queue`): seeds the job's queue, takes files from it with a lease, runs each
 * through the engine, and returns only once every file of the whole job is done or failed (by any worker), with
 * the whole job's summary. Redis lost for longer than a lease stops the files in flight (progress saved) and
 * throws a QueueError; files this worker held then go back to the others when their leases end.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { EngineEmitter, type FileResult, type RunSummary } from '../engine/events.js';
import { TokenBucket } from '../engine/token-bucket.js';
import { QueueError } from '../errors.js';
import { createDispatcher } from '../http/agent.js';
import type { ProxySettings } from '../http/proxy.js';
import type { ResolvedFile, ResolvedJob } from '../job/resolved.js';
import { prepareRun, type PreparedRun } from '../run-job.js';
import { connectControl, describe, lastErrorOf } from './connect.js';
import { runOneFile, type FileRunnerOptions } from './file-runner.js';
import { queueNameOf } from './identity.js';
import { jobResults, summarize, type FileJobData } from './job-results.js';
import { Leases } from './leases.js';
import { LocalSlots } from './local-slots.js';
import type { QueueTarget } from './redis-url.js';
import { seedQueue } from './seed.js';
import { DEFAULT_TIMING, type QueueTiming } from './timing.js';
import { Heartbeat } from './heartbeat.js';
import { bullConnection, QUEUE_PREFIX, LEASE_PREFIX } from './bull.js';

export interface QueueWorkerOptions {
  target: QueueTarget;
  events?: EngineEmitter;
  /** Abort to stop this worker cleanly: its files go back to the queue with their progress saved. */
  signal?: AbortSignal;
  timing?: QueueTiming;
  /** Shown by `pdl status`; default host:pid:random. */
  workerId?: string;
  proxy?: ProxySettings | undefined;
}

export async function runQueueWorker(job: ResolvedJob, options: QueueWorkerOptions): Promise<RunSummary> {
  const timing = options.timing ?? DEFAULT_TIMING;
  const events = options.events ?? new EngineEmitter();
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const name = queueNameOf(job.files);
  const startedAt = Date.now();
  const control = await connectControl(options.target, timing.connectTimeoutMs);
  const dispatcher = createDispatcher({ perHost: job.limits.connections, proxy: options.proxy });
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const connection = bullConnection(options.target, timing);
  const queue = new Queue<FileJobData>(name, { connection, prefix: QUEUE_PREFIX });
  let worker: Worker<FileJobData, FileResult> | undefined;
  let heartbeat: Heartbeat | undefined;
  let prepared: PreparedRun | undefined;
  const leases = new Leases({ client: control, prefix: `${LEASE_PREFIX}:${name}`, workerId, leaseMs: timing.leaseMs });
  // BullMQ reports reconnect attempts as 'error' events; the heartbeat is what judges a loss.
  queue.on('error', () => undefined);
  try {
    prepared = await prepareRun(job, { dispatcher, events, signal: stop.signal });
    const byPath = new Map(prepared.files.map((file) => [file.relPath, file]));
    events.emit('run:start', { files: job.files.length, totalBytes: undefined, startedAt });
    for (const message of prepared.notes) events.emit('run:note', { message });
    await guard(seedQueue(queue, prepared.files), stop.signal);

    const bucket = job.limits.rate > 0 ? new TokenBucket({ rate: job.limits.rate }) : undefined;
    heartbeat = new Heartbeat({
      leases,
      intervalMs: Math.max(50, Math.round(timing.leaseMs / 3)),
      leaseMs: timing.leaseMs,
      // Equal shares of the job's rate among the live workers; a dead worker's share returns once its lease ends.
      onWorkers: (count) => bucket?.setRate(Math.max(1, Math.floor(job.limits.rate / Math.max(1, count)))),
      onLost: (error) =>
        stop.abort(
          new QueueError(
            `lost Redis at ${options.target.display} for longer than ${timing.leaseMs} ms (${describe(lastErrorOf(control) ?? error)}); files in flight were stopped with their progress saved, run again to resume`,
            { cause: error },
          ),
        ),
    });
    await heartbeat.start().catch((error: unknown) => {
      throw new QueueError(`cannot register with Redis at ${options.target.display}: ${describe(error)}`, { cause: error });
    });
    const runner: FileRunnerOptions = {
      job,
      prepared,
      leases,
      local: new LocalSlots(job.limits.connections),
      events,
      rateLimit: bucket ? (bytes, signal) => bucket.take(bytes, signal) : undefined,
    };
    worker = new Worker<FileJobData, FileResult>(name, (bull, token) => processFile(bull, token, byPath, runner, stop.signal), {
      connection,
      prefix: QUEUE_PREFIX,
      name: workerId,
      concurrency: job.limits.files,
      lockDuration: timing.leaseMs,
      stalledInterval: timing.stalledIntervalMs,
      // A file whose worker died goes back to the queue; one that took down workers several times is failed.
      maxStalledCount: 3,
      drainDelay: Math.max(1, Math.round(timing.pollMs / 1000)),
      removeOnComplete: { count: Number.MAX_SAFE_INTEGER },
      removeOnFail: { count: Number.MAX_SAFE_INTEGER },
    });
    worker.on('error', () => undefined);
    await waitForJobEnd(queue, timing.pollMs, stop.signal);
    await guard(worker.close(), stop.signal);
    const results = await guard(jobResults(queue), stop.signal);
    // Each file runs on its own engine here: what hosts taught one file is not carried to the next (nor saved).
    await prepared.saveState({ hostTargets: prepared.hostTargets });
    const summary = summarize(results, Date.now() - startedAt, undefined);
    events.emit('run:done', summary);
    return summary;
  } catch (error) {
    const reason: unknown = stop.signal.reason;
    if (reason instanceof QueueError) throw reason;
    if (stop.signal.aborted && !(error instanceof QueueError)) {
      // Stopped by a signal: this worker's files went back to the queue; the others carry on.
      await worker?.close().catch(() => undefined);
      const summary = summarize([], Date.now() - startedAt, reason === 'SIGINT' || reason === 'SIGTERM' || reason === 'max-runtime' ? reason : 'abort');
      events.emit('run:done', summary);
      return summary;
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    heartbeat?.stop();
    const lost = stop.signal.reason instanceof QueueError;
    if (!lost) await leases.leave().catch(() => undefined);
    await shutdown(lost, worker, queue, control);
    prepared?.close();
    await dispatcher.close().catch(() => undefined);
  }
}

async function processFile(bull: Job<FileJobData>, token: string | undefined, byPath: Map<string, ResolvedFile>, runner: FileRunnerOptions, signal: AbortSignal): Promise<FileResult> {
  const file = byPath.get(bull.data.relPath);
  // Cannot happen: the queue is named after these very files.
  if (!file) throw new UnrecoverableError(`${bull.data.relPath} is not a file of this job`);
  let result: FileResult | undefined;
  try {
    result = await runOneFile(file, runner, signal);
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (result === undefined || result.outcome === 'interrupted') {
    // Back to the queue for another worker; its .part stays for whoever resumes it.
    await bull.moveToWait(token);
    throw new WaitingError();
  }
  if (result.outcome === 'failed') {
    await bull.updateData({ ...bull.data, result });
    throw new UnrecoverableError(result.error?.message ?? 'failed');
  }
  return result;
}

/** Until no file of the whole job is waiting, delayed or held by any worker. */
async function waitForJobEnd(queue: Queue<FileJobData>, pollMs: number, signal: AbortSignal): Promise<void> {
  for (;;) {
    const counts = await guard(queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'), signal);
    if (Object.values(counts).every((n) => n === 0)) return;
    await guard(new Promise((resolve) => setTimeout(resolve, pollMs)), signal);
  }
}

/** A Redis call raced against the stop: with Redis gone, BullMQ's commands wait for a reconnect forever. */
function guard<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function shutdown(lost: boolean, worker: Worker | undefined, queue: Queue, control: Redis): Promise<void> {
  if (lost) {
    // Nothing more can be said to Redis, and BullMQ's close and disconnect wait for a reconnect that may never come:
    // ask them to drop their clients, wait a moment, and go on.
    const dropped = Promise.allSettled([worker?.close(true), worker?.disconnect(), queue.close(), queue.disconnect()]);
    control.disconnect();
    await Promise.race([dropped, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    return;
  }
  await worker?.close().catch(() => undefined);
  await queue.close().catch(() => undefined);
  await control.quit().catch(() => control.disconnect());
}
