/**
 * One bodiless question to the server about a file: a GET of its first byte (`Range: bytes=0-0`, conditional when
 * validators are given) whose body — at most one byte — is never read. pdl never sends HEAD (servers refuse or
 * misreport it); this is what `pdl plan` and the size check of a present file ask.
 */
import type { Dispatcher } from 'undici';
import { StallError } from '../errors.js';
import { parseContentLength, parseContentRange } from '../http/headers.js';
import { get } from '../http/request.js';
import type { ResolvedFile } from '../job/resolved.js';
import { conditionalHeaders } from './conditional.js';
import { readValidators, statusError, type Validators } from './fetch-range.js';

export type Probe = { kind: 'not-modified' } | { kind: 'ok'; size: number | undefined; validators: Validators };

type ProbeTarget = Pick<ResolvedFile, 'url' | 'headers' | 'secrets' | 'displayUrl'>;

/** One attempt within `file.timeout`, no retries (`pdl plan`: a plan reports, it does not insist). */
export async function probe(file: ResolvedFile, dispatcher: Dispatcher, runSignal: AbortSignal, validators?: Validators): Promise<Probe> {
  const timeout = AbortSignal.timeout(file.timeout);
  try {
    return await probeOnce(file, dispatcher, AbortSignal.any([runSignal, timeout]), validators);
  } catch (error) {
    throw timeout.aborted ? new StallError(file.timeout, { url: file.displayUrl }) : error;
  }
}

export async function probeOnce(file: ProbeTarget, dispatcher: Dispatcher, signal: AbortSignal, validators?: Validators): Promise<Probe> {
  const response = await get({
    dispatcher,
    url: file.url,
    userHeaders: file.headers,
    pdlHeaders: { 'accept-encoding': 'identity', range: 'bytes=0-0', ...(validators ? conditionalHeaders(validators) : {}) },
    signal,
    secrets: file.secrets,
  });
  const { statusCode, headers, body } = response;
  // undici reports a destroyed body as an 'error' (AbortError): expected here.
  body.on('error', () => undefined);
  body.destroy();
  if (statusCode === 304 && validators) return { kind: 'not-modified' };
  const found = readValidators(headers);
  if (statusCode === 206) return { kind: 'ok', size: parseContentRange(headers['content-range'])?.size, validators: found };
  if (statusCode === 200) {
    const length = parseContentLength(headers['content-length']);
    return { kind: 'ok', size: length.ok ? length.value : undefined, validators: found };
  }
  // An empty file has no byte 0: the answer still tells its size.
  const unsatisfied = statusCode === 416 ? parseContentRange(headers['content-range']) : undefined;
  if (unsatisfied?.kind === 'unsatisfied') return { kind: 'ok', size: unsatisfied.unsatisfiedSize, validators: found };
  throw statusError(statusCode, headers, file.displayUrl);
}
