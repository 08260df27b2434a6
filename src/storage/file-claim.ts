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
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { FileClaimedError, LocalIOError } from '../errors.js';
import { toLocalIOError } from '../error-wrap.js';
import { COMPANION_SUFFIXES } from './companion-names.js';
import { currentProcess, mayBeAlive, parseHolderRecord, type ProcessIdentity } from './process-liveness.js';

/** A claim that cannot be parsed is one being written, until it is this old (its writer died between create and write). */
const GARBAGE_GRACE_MS = 30_000;
const MAX_BYTES = 16 * 1024;
const MAX_ATTEMPTS = 5;

export interface FileClaim {
  readonly path: string;
  /** Remove the claim file if it is still ours; never throws (a claim left behind is stale once we exit). */
  release(): Promise<void>;
}

interface ClaimFile extends ProcessIdentity {
  format: 'pdl-file-claim';
  /** ISO 8601. */
  since: string;
  /** Random: tells this claim from a later one of the same process. */
  token: string;
}

type ReadClaim =
  | { status: 'missing' }
  | { status: 'ok'; claim: ClaimFile; dev: number; ino: number }
  | { status: 'garbage'; ageMs: number; dev: number; ino: number };

/** Claims this process holds or is taking, by token: the same process asking twice is refused, not taken over. */
const ownTokens = new Set<string>();
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
  const token = randomBytes(8).toString('hex');
  const content: ClaimFile = { format: 'pdl-file-claim', ...(await currentProcess()), since: new Date().toISOString(), token };
  const data = `${JSON.stringify(content, null, 2)}\n`;
  ownTokens.add(token);
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const created = await createExclusive(path, data);
      if (created) {
        held.set(path, token);
        return heldClaim(path, token, created);
      }
      const existing = await readClaim(path);
      // Released between our create and our read: try to create it again.
      if (existing.status === 'missing') continue;
      if (existing.status === 'ok' && (await isAlive(existing.claim))) throw new FileClaimedError(existing.claim, finalPath, path);
      if (existing.status === 'garbage' && existing.ageMs < GARBAGE_GRACE_MS) throw new FileClaimedError(undefined, finalPath, path);
      await removeStale(path, existing);
    }
  } catch (error) {
    ownTokens.delete(token);
    throw error;
  }
  ownTokens.delete(token);
  throw new LocalIOError(`cannot claim ${finalPath}: ${path} kept changing under us`, { path });
}

/** For a process 'exit' handler (a second Ctrl-C exits at once): drop every claim still held. */
export function releaseHeldClaimsSync(): void {
  for (const [path, token] of held) {
    held.delete(path);
    ownTokens.delete(token);
    try {
      if (parseClaim(readFileSync(path, 'utf8'))?.token === token) unlinkSync(path);
    } catch {
      // Exiting anyway: a claim left behind is taken over once this pid is gone.
    }
  }
}

async function isAlive(claim: ClaimFile): Promise<boolean> {
  const me = await currentProcess();
  if (claim.pid === me.pid && claim.hostname === me.hostname) {
    // Our own pid: alive only if this very process holds it; otherwise an earlier life of this pid (a restarted
    // container is pid 1 again) left it.
    return ownTokens.has(claim.token);
  }
  return mayBeAlive(claim, new Date(claim.since));
}

/** Move the stale claim aside and delete it, if what moved is the file that was judged; else put it back. */
async function removeStale(path: string, judged: { dev: number; ino: number }): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw toLocalIOError(error, path, 'take over the stale claim');
  }
  try {
    const moved = await lstat(aside);
    if (moved.dev !== judged.dev || moved.ino !== judged.ino) {
      // Another process replaced the stale claim with its own in between: that one is live, give it back.
      await link(aside, path).catch(() => undefined);
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/** The new file's identity, or undefined when one exists already. */
async function createExclusive(path: string, data: string): Promise<{ dev: number; ino: number } | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw toLocalIOError(error, path, 'create');
  }
  let identity;
  try {
    await handle.writeFile(data, 'utf8');
    const stats = await handle.stat();
    identity = { dev: stats.dev, ino: stats.ino };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw toLocalIOError(error, path, 'write');
  }
  await handle.close();
  return identity;
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

function heldClaim(path: string, token: string, identity: { dev: number; ino: number }): FileClaim {
  let releasing: Promise<void> | undefined;
  return {
    path,
    release() {
      releasing ??= (async () => {
        held.delete(path);
        try {
          // Still the file we created (one lstat; reading it back would cost a file's worth of calls per download).
          const current = await lstat(path);
          if (current.dev === identity.dev && current.ino === identity.ino) await unlink(path);
        } catch {
          // Left behind, it is stale as soon as this process exits, and taken over then.
        } finally {
          ownTokens.delete(token);
        }
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

  /** `beforeTake`: make the folder (the claim file lives beside the file). */
  constructor(finalPath: string, beforeTake: () => Promise<void>) {
    this.#finalPath = finalPath;
    this.#beforeTake = beforeTake;
  }

  take(): Promise<void> {
    this.#taking ??= this.#beforeTake().then(
      () => claimFile(this.#finalPath),
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
