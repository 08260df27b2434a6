/**
 * A final file already at the path under `ifExists: resume` or `skip` that pdl cannot vouch for: neither recorded in
 * the folder's `.pdl-state.json` with this size, nor matching a given checksum (a file the user put there, or one
 * from a folder without a state file, such as `pdl get`'s). It is kept only when the server's file has its size —
 * asked with one probe — and otherwise fails untouched: pdl never reports as complete bytes it cannot account for,
 * and never replaces what the user has unless told to.
 */
import { LocalIOError, StallError } from '../errors.js';
import { retrying, STOPPED, type RetryInfo } from '../engine/retry-loop.js';
import type { ResolvedFile } from '../job/resolved.js';
import type { MirrorEntry } from '../storage/mirror-state.js';
import type { ByteSource } from '../sources/source.js';
import { probeOnce } from './probe.js';

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

export interface CompareOptions {
  source: ByteSource;
  signal: AbortSignal;
  onRetry: (info: RetryInfo) => void;
}

/** Resolves with the reason to skip the file, or STOPPED; rejects with presentFileError when sizes differ. */
export async function compareWithServer(file: ResolvedFile, localSize: number, options: CompareOptions): Promise<string | typeof STOPPED> {
  let timeout = AbortSignal.timeout(file.timeout);
  const answer = await retrying(() => probeOnce(options.source, AbortSignal.any([options.signal, timeout])), {
    retries: file.retries,
    url: file.displayUrl,
    secrets: file.secrets,
    stopped: () => options.signal.aborted,
    reasonOf: (error) => (timeout.aborted ? new StallError(file.timeout, { url: file.displayUrl }) : error),
    waitSignal: () => {
      timeout = AbortSignal.timeout(file.timeout);
      return options.signal;
    },
    onRetry: options.onRetry,
  });
  if (answer === STOPPED) return answer;
  const serverSize = answer.kind === 'ok' ? answer.size : undefined;
  if (serverSize !== localSize) throw presentFileError(file, localSize, serverSize);
  return 'already present, the size the server has';
}
