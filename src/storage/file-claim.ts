/**
 * The file claim: while a pdl process writes a path (its `.part`, `.pdl` and the final rename), it holds
 * `<path>.pdl-claim`, a small JSON file created with O_EXCL that names the process. Every writer takes it, whatever
 * command or library call it serves and wherever its output root is, so two processes never write one file — the
 * run lock alone cannot say that of `pdl get`, of two jobs, or of output folders that nest.
 *
 * A claim dies with its process: one whose pid is gone, or now belongs to a process that started later (pid reused),
 * or that was taken before the last boot, is stale and is taken over. So a kill -9 never leaves a file blocked.
 *
 * Known limit: a stale claim is removed by renaming it aside and checking that what moved is the file that was
 * judged stale; a claim created in that instant by a third process is put back with link(), which fails only if a
 * fourth one was created meanwhile. Beyond that, the .part identity check before the final rename (part-file.ts)
 * still keeps any process from presenting another's bytes.
 */
import { randomBytes } from 'node:crypto';
import { constants, readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileClaimedError, LocalIOError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import { leaseTemplate, removeTemplatesSync, TEMPLATE_NAME } from './claim-template.js';
export { releaseIdleTemplates } from './claim-template.js';
import { COMPANION_SUFFIXES } from './companion-names.js';
import { createExclusive, type Identity } from './small-file.js';
import { currentProcess, mayBeAlive, parseHolderRecord, type ProcessIdentity } from './process-liveness.js';

/** A claim that cannot be parsed is one being written, until it is this old (its writer died between create and write). */
const GARBAGE_GRACE_MS = 30_000;
const MAX_BYTES = 16 * 1024;
const MAX_ATTEMPTS = 5;

export interface FileClaim {
  readonly path: string;
  /** A dead process's claim was taken over: it may have left files beside the path that no listing before showed. */
  readonly tookOver: boolean;
  /** Remove the claim file if it is still ours; never throws (a claim left behind is stale once we exit). */
  release(): Promise<void>;
}

interface ClaimFile extends ProcessIdentity {
  format: 'pdl-file-claim';
  /** ISO 8601: when this process began claiming in the folder (a claim is a link to that record, claim-template.ts). */
  since: string;
  /** Random: tells this process's claims from those of an earlier process with the same pid. */
  token: string;
  /** The name of the template the claim is a link to, in the same folder; absent for a claim made as a file of its own. */
  template?: string;
}

type ReadClaim =
  | { status: 'missing' }
  | { status: 'ok'; claim: ClaimFile; dev: number; ino: number }
  | { status: 'garbage'; ageMs: number; dev: number; ino: number };

/** Tokens of this process's claims held or being taken, with how many use each (claims linked to one template share it). */
const ownTokens = new Map<string, number>();
/**
 * Claim path → how many calls of this process hold or are taking it: the same process asking twice is refused, not
 * taken over; a claim of ours that no other call holds (its release failed to remove it) is stale.
 */
const claimants = new Map<string, number>();
/** Claim path → token, for releaseHeldClaimsSync. */
const held = new Map<string, string>();

export function claimPathOf(finalPath: string): string {
  return `${finalPath}${COMPANION_SUFFIXES.claim}`;
}

/**
 * Claim `finalPath` for this process, or throw FileClaimedError naming the live holder. The folder must exist.
 * Never waits: the caller fails that file and goes on with others.
 */
export async function claimFile(finalPath: string): Promise<FileClaim> {
  const path = claimPathOf(finalPath);
  const dir = dirname(path);
  if (!swept.has(dir)) {
    swept.add(dir);
    void sweepDeadTemplates(dir).catch(() => undefined);
  }
  const lease = await leaseTemplate(dir, recordOf);
  let token = lease.template?.token ?? randomBytes(8).toString('hex');
  count(claimants, path, 1);
  count(ownTokens, token, 1);
  const forget = () => {
    count(claimants, path, -1);
    count(ownTokens, token, -1);
  };
  let tookOver = false;
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let created = await lease.link(path);
      if (created === 'unsupported') {
        if (lease.template && token === lease.template.token) {
          count(ownTokens, token, -1);
          token = randomBytes(8).toString('hex');
          count(ownTokens, token, 1);
        }
        created = (await createExclusive(path, await recordOf(token, undefined))) ?? 'exists';
      }
      if (created !== 'exists') {
        held.set(path, token);
        return heldClaim(path, token, created, tookOver, () => (forget(), lease.end()));
      }
      const existing = await readClaim(path);
      // Released between our create and our read: try to create it again.
      if (existing.status === 'missing') continue;
      if (existing.status === 'ok' && (await isAlive(existing.claim, path))) throw new FileClaimedError(existing.claim, finalPath, path);
      if (existing.status === 'garbage' && existing.ageMs < GARBAGE_GRACE_MS) throw new FileClaimedError(undefined, finalPath, path);
      await removeStale(path, existing);
      tookOver = true;
    }
  } catch (error) {
    forget();
    await lease.end();
    throw error;
  }
  forget();
  await lease.end();
  throw new LocalIOError(`cannot claim ${finalPath}: ${path} kept changing under us`, { path });
}

/** Folders this process has looked through for dead processes' templates. */
const swept = new Set<string>();

/**
 * Remove the templates of dead processes that no claim names any more: a process killed while its folder's template
 * waited for the next claim (claim-template.ts, GRACE_MS) leaves one that no takeover would find. Once per folder
 * and process, beside the claims, never in their way.
 */
async function sweepDeadTemplates(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => TEMPLATE_NAME.test(name));
  if (names.length === 0) return;
  const me = await currentProcess();
  for (const name of names) {
    const path = join(dir, name);
    const judged = await readClaim(path).catch(() => undefined);
    if (judged?.status !== 'ok' || isOwnPid(judged.claim, me) || (await mayBeAlive(judged.claim, new Date(judged.claim.since)))) continue;
    const there = await lstat(path).catch(() => undefined);
    if (there && there.dev === judged.dev && there.ino === judged.ino) await unlink(path).catch(() => undefined);
  }
}

async function recordOf(token: string, template: string | undefined): Promise<string> {
  const content: ClaimFile = { format: 'pdl-file-claim', ...(await currentProcess()), since: new Date().toISOString(), token, ...(template ? { template } : {}) };
  return `${JSON.stringify(content, null, 2)}\n`;
}

function count(map: Map<string, number>, key: string, by: 1 | -1): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

/** For a process 'exit' handler (a second Ctrl-C exits at once): drop every claim still held. */
export function releaseHeldClaimsSync(): void {
  for (const [path, token] of held) {
    held.delete(path);
    try {
      if (parseClaim(readFileSync(path, 'utf8'))?.token === token) unlinkSync(path);
    } catch {
      // Exiting anyway: a claim left behind is taken over once this pid is gone.
    }
  }
  ownTokens.clear();
  claimants.clear();
  removeTemplatesSync();
}

async function isAlive(claim: ClaimFile, path: string): Promise<boolean> {
  if (isOwnPid(claim, await currentProcess())) {
    // Our own pid: alive only if another call of this very process holds it (the caller counts itself); otherwise
    // an earlier life of this pid (a restarted container is pid 1 again) or a release that failed left it.
    return ownTokens.has(claim.token) && (claimants.get(path) ?? 0) > 1;
  }
  return mayBeAlive(claim, new Date(claim.since));
}

function isOwnPid(claim: ProcessIdentity, me: ProcessIdentity): boolean {
  return claim.pid === me.pid && claim.hostname === me.hostname;
}

/**
 * Move the stale claim aside and delete it, if what moved is the file that was judged; else put it back. A claim of a
 * dead process made by link takes its template along: the same file (dev, ino) under the name the claim gives.
 */
async function removeStale(path: string, judged: Exclude<ReadClaim, { status: 'missing' }>): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw toLocalIOError(error, path, 'take over the stale claim');
  }
  let same = false;
  try {
    const moved = await lstat(aside);
    same = moved.dev === judged.dev && moved.ino === judged.ino;
    // Another process replaced the stale claim with its own in between: that one is live, give it back.
    if (!same) await link(aside, path).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
  if (!same || judged.status !== 'ok') return;
  const template = judged.claim.template;
  if (template === undefined || !TEMPLATE_NAME.test(template) || isOwnPid(judged.claim, await currentProcess())) return;
  const templatePath = join(dirname(path), basename(template));
  const there = await lstat(templatePath).catch(() => undefined);
  if (there && there.dev === judged.dev && there.ino === judged.ino) await unlink(templatePath).catch(() => undefined);
}

/** Read through one descriptor, so the identity (dev, ino) judged is the one whose content was read. */
async function readClaim(path: string): Promise<ReadClaim> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing' };
    if (code === 'ELOOP') throw new LocalIOError(`${path} is a symbolic link; remove it`, { path, cause: error });
    throw toLocalIOError(error, path, 'read');
  }
  try {
    const stats = await handle.stat();
    const garbage = { status: 'garbage' as const, ageMs: Date.now() - stats.mtimeMs, dev: stats.dev, ino: stats.ino };
    if (!stats.isFile() || stats.size > MAX_BYTES) return garbage;
    const claim = parseClaim(await handle.readFile('utf8'));
    return claim === undefined ? garbage : { status: 'ok', claim, dev: stats.dev, ino: stats.ino };
  } catch (error) {
    throw toLocalIOError(error, path, 'read');
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The claim in `text`, or undefined when it is not one we can trust. */
function parseClaim(text: string): ClaimFile | undefined {
  return parseHolderRecord(text, 'pdl-file-claim', 'since') as ClaimFile | undefined;
}

function heldClaim(path: string, token: string, identity: Identity, tookOver: boolean, ended: () => Promise<void>): FileClaim {
  let releasing: Promise<void> | undefined;
  return {
    path,
    tookOver,
    release() {
      releasing ??= (async () => {
        held.delete(path);
        try {
          // Still the file we created (one lstat; reading it back would cost a file's worth of calls per download).
          const current = await lstat(path);
          if (current.dev === identity.dev && current.ino === identity.ino) await unlink(path);
        } catch {
          // Left behind, it is stale as soon as this process exits, and taken over then.
        }
        await ended();
      })();
      return releasing;
    },
  };
}

/**
 * One file task's claim on its path: taken at most once (by whichever comes first, the hook that looks at the
 * `.part` or the engine before it writes), released once the task's result is settled.
 */
export class PathClaim {
  readonly #finalPath: string;
  readonly #beforeTake: () => Promise<void>;
  #taking: Promise<FileClaim> | undefined;
  /** See FileClaim.tookOver; false until the claim is taken. */
  tookOver = false;

  /** `beforeTake`: make the folder (the claim file lives beside the file). */
  constructor(finalPath: string, beforeTake: () => Promise<void>) {
    this.#finalPath = finalPath;
    this.#beforeTake = beforeTake;
  }

  take(): Promise<void> {
    this.#taking ??= this.#beforeTake().then(
      async () => {
        const claim = await claimFile(this.#finalPath);
        this.tookOver = claim.tookOver;
        return claim;
      },
      (error: unknown) => Promise.reject(toLocalIOError(error, this.#finalPath, 'create the folder of')),
    );
    return this.#taking.then(() => undefined);
  }

  /** Never throws; a claim that was never taken (or refused) has nothing to release. */
  async release(): Promise<void> {
    const claim = await this.#taking?.catch(() => undefined);
    await claim?.release();
  }
}
