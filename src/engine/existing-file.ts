/**
 * A final file already at the path under `ifExists: resume` or `skip` that pdl cannot vouch for: neither recorded in
 * the folder's `.pdl-state.json` with this size, nor matching a given checksum (a file the user put there, or one
 * from a folder without a state file, such as `pdl get`'s). It is kept only when the server's file has its size —
 * asked with one probe — and otherwise fails untouched: pdl never reports as complete bytes it cannot account for,
 * and never replaces what the user has unless told to.
 */
import type { Dispatcher } from 'undici';
import { LocalIOError } from '../errors.js';
import type { ResolvedFile } from '../job/resolved.js';
import type { MirrorEntry } from '../storage/mirror-state.js';
import { probeOnce } from './probe.js';
import { withRetries, type RetryLoopOptions } from './retry-loop.js';

/** pdl completed this file itself (its state says so) and it still has the size pdl wrote. */
export function isKnownToPdl(file: ResolvedFile, entry: MirrorEntry | undefined, size: number): boolean {
  return entry !== undefined && entry.url === file.displayUrl && entry.size === size;
}

/** The present file and the server's disagree (or the server does not tell): the message says what to do. */
export function presentFileError(file: ResolvedFile, localSize: number, serverSize: number | undefined): LocalIOError {
  const server =
    serverSize === undefined
      ? 'the server does not say the size of its file, so pdl cannot tell whether it is complete'
      : `the server's file is ${serverSize} bytes`;
  const message =
    `${file.relPath} is already there with ${localSize} bytes, not a file pdl finished, and ${server}; ` +
    'left as it is (set ifExists: overwrite to replace it, or give a checksum)';
  return new LocalIOError(message, { path: file.path, url: file.displayUrl });
}

export interface CompareOptions extends Omit<RetryLoopOptions, 'displayUrl' | 'secrets' | 'retries' | 'timeoutMs'> {
  dispatcher: Dispatcher;
}

/** Resolves with the reason to skip the file, or 'stopped'; rejects with presentFileError when sizes differ. */
export async function compareWithServer(file: ResolvedFile, localSize: number, options: CompareOptions): Promise<string | 'stopped'> {
  const loop = { ...options, displayUrl: file.displayUrl, secrets: file.secrets, retries: file.retries, timeoutMs: file.timeout };
  const answer = await withRetries(loop, (signal) => probeOnce(file, options.dispatcher, signal));
  if (answer === 'stopped') return answer;
  const serverSize = answer.kind === 'ok' ? answer.size : undefined;
  if (serverSize !== localSize) throw presentFileError(file, localSize, serverSize);
  return 'already present, the size the server has';
}
