/**
 * The question some files put to the server before their download: `newer`'s conditional request, or the size
 * probe of a present file pdl cannot vouch for. Either ends the file (unchanged, skipped), fails it, or — a new
 * version under `newer` — hands over the answer already received, to be used as the download's first range.
 */
import type { Dispatcher } from 'undici';
import type { GetResponse } from '../http/request.js';
import type { ResolvedFile } from '../job/resolved.js';
import { checkRemote } from './conditional.js';
import type { DoneOutcome } from './events.js';
import { compareWithServer } from './existing-file.js';
import type { Preparation } from './prepare.js';
import type { RetryLoopOptions } from './retry-loop.js';

export type ServerAnswer =
  | { kind: 'stopped' }
  | { kind: 'done'; done: { outcome: DoneOutcome; size: number; sha256: string | undefined; reason: string } }
  | { kind: 'download'; response: GetResponse };

export interface ServerCheckOptions extends Pick<RetryLoopOptions, 'signal' | 'onRetry'> {
  dispatcher: Dispatcher;
}

type Asking = Extract<Preparation, { action: 'conditional' | 'compare-size' }>;

export async function askServerFirst(file: ResolvedFile, prep: Asking, options: ServerCheckOptions): Promise<ServerAnswer> {
  if (prep.action === 'compare-size') {
    const reason = await compareWithServer(file, prep.size, options);
    if (reason === 'stopped') return { kind: 'stopped' };
    return { kind: 'done', done: { outcome: 'skipped', size: prep.size, sha256: undefined, reason } };
  }
  const answer = await checkRemote({
    ...options,
    url: file.url,
    userHeaders: file.headers,
    secrets: file.secrets,
    displayUrl: file.displayUrl,
    entry: prep.entry,
    retries: file.retries,
    timeoutMs: file.timeout,
  });
  if (answer.kind === 'stopped') return answer;
  if (answer.kind === 'not-modified') {
    return { kind: 'done', done: { outcome: 'unchanged', size: prep.entry.size, sha256: prep.entry.sha256, reason: 'not modified on the server' } };
  }
  return { kind: 'download', response: answer.response };
}
