/**
 * File claims by hard link. Creating a claim file costs four round trips to libuv's thread pool (open O_EXCL, write,
 * fstat, close), a quarter of a small file's filesystem work. So, per folder, this process writes its claim record
 * once, into a template `.pdl-claim.<pid>.<random>` beside the claims, and each claim is then one link(2): as
 * atomic and exclusive as O_EXCL (EEXIST whenever the name exists, a symlink included), complete the moment it
 * appears (no reader ever sees it half-written), and its identity (dev, ino) is the template's, known in advance.
 *
 * The template goes a moment (GRACE_MS) after this process holds no claim in its folder, so that a job whose files
 * at once are spread over many folders does not make and remove one for every file; a run removes its idle ones as
 * it ends (releaseIdleTemplates). One left by a kill -9 is named in its claims (`template`), and removed by whoever
 * takes the first of them over (file-claim.ts); one that no claim names is removed by the next process to claim in
 * its folder (file-claim.ts, sweepDeadTemplates). Where links fail (a
 * file system without hard links, the link count at its limit, the template deleted under us) a claim is created
 * as a file of its own, as before; the folder is then not tried again in this process.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createExclusive, LINKS_UNSUPPORTED, type Identity } from './small-file.js';

export interface ClaimTemplate extends Identity {
  readonly path: string;
  /** Its name in the folder: what a claim's `template` field holds. */
  readonly name: string;
  /** The token every claim linked to it carries. */
  readonly token: string;
}

/** A template's name as this module makes it: only such a name is ever removed on behalf of a dead process. */
export const TEMPLATE_NAME = /^\.pdl-claim\.\d+\.[0-9a-f]{12}$/;

/** Errors after which links are not tried again in that folder (the file system cannot do them). */
const NO_LINKS = LINKS_UNSUPPORTED;

interface Entry {
  readonly dir: string;
  readonly ready: Promise<ClaimTemplate | undefined>;
  template: ClaimTemplate | undefined;
  users: number;
  /** Set while no claim uses it: the timer that removes it unless a claim comes first. */
  idle?: NodeJS.Timeout | undefined;
}

/** How long a folder's template outlives its last claim, waiting for the next one. */
export const GRACE_MS = 2_000;

const current = new Map<string, Entry>();
/** Every template not removed yet, current or retired (still leased), for the exit handler. */
const live = new Set<Entry>();
const noLinks = new Set<string>();

export interface TemplateLease {
  /** Undefined: claim without a template in this folder. */
  readonly template: ClaimTemplate | undefined;
  /** Link `path` to the template: its identity, 'exists' when the name is taken, 'unsupported' to claim without one. */
  link(path: string): Promise<Identity | 'exists' | 'unsupported'>;
  /** The claim this lease was for is released (or never taken): the template goes once no lease is left. */
  end(): Promise<void>;
}

/** The folder's template, made on first use; `contentOf` is the claim record it holds. */
export async function leaseTemplate(dir: string, contentOf: (token: string, name: string) => Promise<string>): Promise<TemplateLease> {
  if (noLinks.has(dir)) return { template: undefined, link: async () => 'unsupported', end: async () => undefined };
  let entry = current.get(dir);
  if (!entry) {
    const made: Entry = { dir, ready: makeTemplate(dir, contentOf), template: undefined, users: 0 };
    live.add(made);
    current.set(dir, made);
    void made.ready.then((template) => (made.template = template));
    entry = made;
  }
  const leased = entry;
  if (leased.idle) clearTimeout(leased.idle);
  leased.idle = undefined;
  leased.users++;
  const template = await leased.ready;
  let ended = false;
  return {
    template,
    link: async (path) => {
      if (!template) return 'unsupported';
      try {
        await link(template.path, path);
        return { dev: template.dev, ino: template.ino };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST') return 'exists';
        if (NO_LINKS.has(code)) noLinks.add(dir);
        // Gone or at its link limit: the next claim here gets a new template.
        if (current.get(dir) === leased) current.delete(dir);
        return 'unsupported';
      }
    },
    end: async () => {
      if (ended) return;
      ended = true;
      if (--leased.users > 0) return;
      if (current.get(dir) !== leased) return retire(leased);
      // Kept a moment for the folder's next claim; the timer does not keep the process alive.
      leased.idle = setTimeout(() => void retire(leased), GRACE_MS);
      leased.idle.unref();
    },
  };
}

/** Remove every template no claim uses now (a run ends: it leaves none behind). */
export async function releaseIdleTemplates(): Promise<void> {
  await Promise.all([...live].filter((entry) => entry.users === 0).map(retire));
}

async function retire(entry: Entry): Promise<void> {
  if (entry.users > 0 || !live.has(entry)) return;
  if (entry.idle) clearTimeout(entry.idle);
  entry.idle = undefined;
  if (current.get(entry.dir) === entry) current.delete(entry.dir);
  live.delete(entry);
  const template = entry.template ?? (await entry.ready);
  if (template) await unlink(template.path).catch(() => undefined);
}

/** For a process 'exit' handler: remove every template (claims stay valid: they are links of their own). */
export function removeTemplatesSync(): void {
  for (const entry of live) {
    if (entry.idle) clearTimeout(entry.idle);
    if (entry.template) {
      try {
        unlinkSync(entry.template.path);
      } catch {
        // Exiting anyway: a template left behind is removed with the first of its claims taken over.
      }
    }
  }
  live.clear();
  current.clear();
}

async function makeTemplate(dir: string, contentOf: (token: string, name: string) => Promise<string>): Promise<ClaimTemplate | undefined> {
  const token = randomBytes(8).toString('hex');
  const name = `.pdl-claim.${process.pid}.${randomBytes(6).toString('hex')}`;
  const path = join(dir, name);
  try {
    const created = await createExclusive(path, await contentOf(token, name));
    return created ? { path, name, token, ...created } : undefined;
  } catch {
    // The claim made without a template reports what is wrong with the folder, if anything is.
    return undefined;
  }
}
