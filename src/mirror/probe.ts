/**
 * One bodiless question to a source about a file: its first byte (`bytes=0-0`, conditional when a kept version is
 * given) whose body — at most one byte — is never read. pdl never sends HEAD (servers refuse or misreport it); this
 * is what `pdl plan` and the size check of a present file ask.
 */
import { ProtocolError, StallError } from '../errors.js';
import type { ResolvedFile } from '../job/resolved.js';
import { NO_VALIDATORS, type ByteSource, type Validators } from '../sources/source.js';

export type Probe = { kind: 'not-modified' } | { kind: 'ok'; size: number | undefined; validators: Validators };

export type KeptVersion = { size: number; validators: Validators };

/** One attempt within `file.timeout`, no retries (`pdl plan`: a plan reports, it does not insist). */
export async function probe(file: ResolvedFile, source: ByteSource, runSignal: AbortSignal, kept?: KeptVersion): Promise<Probe> {
  const timeout = AbortSignal.timeout(file.timeout);
  try {
    return await probeOnce(source, AbortSignal.any([runSignal, timeout]), kept);
  } catch (error) {
    throw timeout.aborted ? new StallError(file.timeout, { url: file.displayUrl }) : error;
  }
}

export async function probeOnce(source: ByteSource, signal: AbortSignal, kept?: KeptVersion): Promise<Probe> {
  const opened = await source.open({ start: 0, end: 1, ranges: true, held: undefined, first: true, ...(kept ? { unlessUnchanged: kept } : {}), signal });
  switch (opened.kind) {
    case 'not-modified':
      return { kind: 'not-modified' };
    case 'empty':
      return { kind: 'ok', size: 0, validators: NO_VALIDATORS };
    case 'bytes':
      opened.answer.close();
      return { kind: 'ok', size: opened.answer.size, validators: opened.answer.validators };
    default:
      // Nothing is held, so a first request is never "changed" or "no ranges"; a source that says so anyway is wrong.
      throw new ProtocolError(`unexpected answer to a probe: ${opened.kind}`, { url: source.displayUrl });
  }
}
