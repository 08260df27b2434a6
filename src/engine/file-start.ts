/**
 * Starting a file: the hooks decide what it needs, this process claims its path, and its `.part` is opened — the
 * one from an interrupted run when the control file vouches for it, else a new one.
 */
import type { ResolvedFile } from '../job/resolved.js';
import type { PathClaim } from '../storage/file-claim.js';
import type { Remote } from './file-phase.js';
import type { FileHooks, StartDecision } from './hooks.js';
import type { PartProgress } from './part-progress.js';

export type Start =
  | Extract<StartDecision, { action: 'stopped' | 'done' }>
  /** Downloading: `resumed` holds what the control file knew when the `.part` of an earlier run was reopened. */
  | { action: 'download'; decision: Extract<StartDecision, { action: 'download' }>; resumed: Remote | undefined };

export async function startFile(file: ResolvedFile, c: { hooks: FileHooks; signal: AbortSignal; claim: PathClaim; part: PartProgress }): Promise<Start> {
  const take = () => c.claim.take();
  let decision = await c.hooks.before(file, c.signal, take);
  if (decision.action === 'download' && decision.partUnseen && !decision.resume) {
    // One pool round trip instead of two: the exclusive create answers whether a `.part` is there. One left since the
    // hook's folder listing (by a process that held the path before us) goes back to the hook, which then looks.
    await take();
    if (await c.part.createIfAbsent()) return fresh(decision, c);
    decision = await c.hooks.before(file, c.signal, take, { lookOnDisk: true });
  }
  if (decision.action !== 'download') return decision;
  await c.claim.take();
  const state = decision.resume;
  if (state && (await c.part.resume(state))) {
    const validators = { etag: state.etag, lastModified: state.lastModified };
    return { action: 'download', decision, resumed: { size: state.size, ranges: state.ranges, validators, digests: [], encoded: false } };
  }
  // A control file whose `.part` is gone (or too long): start over, clearing both.
  if (state) await c.part.reset();
  else await c.part.create();
  return fresh(decision, c);
}

function fresh(decision: Extract<StartDecision, { action: 'download' }>, c: { claim: PathClaim; part: PartProgress }): Start {
  // The hook's word rests on a folder listing from before the claim: a dead holder taken over since may have left one.
  if (decision.noControlFile && !c.claim.tookOver) c.part.noControlFile();
  return { action: 'download', decision, resumed: undefined };
}
