/** What the engine and CLI tests share: a fixture server and temp dir per test, a recorded run, the checks. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { EngineEmitter, type EngineEventName, type EngineEvents } from '../../src/engine/events.js';
import { runJob, type RunOptions } from '../../src/run-job.js';
import type { ResolvedJob } from '../../src/job/resolved.js';
import { startFixtureServer, type FixtureServer } from './fixture-server.js';
import { tempDir } from './job.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A fixture server and an empty temp dir, both cleaned up after the test. */
export async function fixture(t: Pick<TestContext, 'after'>): Promise<{ server: FixtureServer; dir: string }> {
  const server = await startFixtureServer();
  t.after(() => server.close());
  return { server, dir: await tempDir(t) };
}

/**
 * Splits whatever is measured, however soon it would finish: most engine tests exercise split ranges (faults on
 * them, validators, restarts) on transfers of a second or two, which the default rule (split-policy.ts: only a
 * range with more than 2 s left, parts of at least 256 KiB) would rightly leave whole. Tests of the rule itself pass
 * `splitRules: {}`.
 */
export const SPLIT_MEASURED = { minRemainingMs: 0, floor: 64 * KiB } as const;

/** Runs a job, recording every event; `of(name)` lists the events of one kind. */
export async function run(job: ResolvedJob, options: RunOptions = {}, events = new EngineEmitter()) {
  const seen: Array<{ name: EngineEventName; event: unknown }> = [];
  const stop = events.onAny((name, event) => seen.push({ name, event }));
  const summary = await runJob(job, { splitRules: SPLIT_MEASURED, ...options, events });
  stop();
  const of = <K extends EngineEventName>(name: K) => seen.filter((e) => e.name === name).map((e) => e.event as EngineEvents[K]);
  return { summary, of };
}

/** The final file holds exactly `sha`, and no .part/.pdl is left beside it. */
export async function assertDownloaded(dir: string, relPath: string, sha: string): Promise<void> {
  assert.equal(sha256(await readFile(join(dir, relPath))), sha);
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.part') || n.endsWith('.pdl')), []);
}
