/**
 * A file waiting to start: what the scheduler and the reporters need of it, and nothing more. Its FileTask (meter,
 * progress, claim, source, report) is made only when it starts, so a job of 100,000 files does not hold 100,000 of
 * them from the first second, nor build them all before the first request.
 */
import { fileUrls, type ResolvedFile } from '../job/resolved.js';
import type { FileRef } from './events.js';

export interface QueuedFile {
  readonly file: ResolvedFile;
  /** Its place in the start order (the order `files` came in). */
  readonly order: number;
  /** The URL's `host` (host:port), as FileTask.host: what perHost counts. */
  readonly host: string;
  readonly ref: FileRef;
}

export function queuedFiles(files: readonly ResolvedFile[]): QueuedFile[] {
  const hosts = new Map<string, string>();
  return files.map((file, order) => ({ file, order, host: hostOf(file.url, hosts), ref: { index: file.index, path: file.relPath, url: file.displayUrl } }));
}

/**
 * The hosts the file's first connection may go to, in the job's order: its URL's, then its mirrors' (the file's
 * source may prefer another once started, see ByteSource.hosts). Parsed for the few files the scheduler looks at.
 */
export function queuedHosts(entry: QueuedFile): readonly string[] {
  if (!entry.file.mirrors?.length) return [entry.host];
  return [...new Set(fileUrls(entry.file).map((m, i) => (i === 0 ? entry.host : new URL(m.url).host)))];
}

/**
 * `new URL(url).host`, parsed once per distinct scheme and authority: URLs that share the text up to the first `/`
 * after `//` (the whole URL if there is none) share everything the host is read from.
 */
function hostOf(url: string, known: Map<string, string>): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  const prefix = slash === -1 ? url : url.slice(0, slash);
  let host = known.get(prefix);
  if (host === undefined) {
    host = new URL(url).host;
    known.set(prefix, host);
  }
  return host;
}
