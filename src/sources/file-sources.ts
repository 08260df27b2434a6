/**
 * The source of each file of a run: the provider's source for a file with one URL; a MirrorSource over one source
 * per URL for a file with `urls:`. Each mirror's source sends the file's headers to that mirror's own origin only.
 */
import { fileUrls, type ResolvedFile } from '../job/resolved.js';
import { MirrorSource } from './mirrors/mirror-source.js';
import type { MirrorRanking } from './mirrors/ranking.js';
import type { SourceProvider } from './provider.js';
import type { ByteSource } from './source.js';

export interface FileSourcesOptions {
  provider: Pick<SourceProvider, 'source'>;
  /** Warnings for the run's log (a mirror dropped, a bad mirror named). */
  note: (message: string) => void;
  /** Shared by every file of the run: a host failing for several files is tried last. */
  ranking: MirrorRanking;
}

export function fileSources(options: FileSourcesOptions): (file: ResolvedFile) => ByteSource {
  return (file) => {
    if (!file.mirrors?.length) return options.provider.source(file);
    return new MirrorSource({
      mirrors: fileUrls(file).map((m) => ({ source: options.provider.source({ ...file, url: m.url, displayUrl: m.displayUrl }), host: new URL(m.url).host })),
      proven: file.checksum !== undefined,
      ranking: options.ranking,
      name: file.relPath,
      note: options.note,
    });
  };
}
