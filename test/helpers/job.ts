/** Builds resolved jobs for engine tests without going through YAML. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedFile, ResolvedJob, ResolvedLimits } from '../../src/job/resolved.js';

export type FileInput = Partial<ResolvedFile> & { url: string };

export function makeJob(dir: string, files: FileInput[], limits: Partial<ResolvedLimits> = {}): ResolvedJob {
  return {
    source: undefined,
    dir,
    limits: { files: 4, connections: 16, perHost: 8, rate: 0, ...limits },
    files: files.map((file, index) => {
      const relPath = file.relPath ?? decodeURIComponent(new URL(file.url).pathname.split('/').pop() ?? `file${index}`);
      return {
        index,
        displayUrl: file.url,
        path: join(dir, relPath),
        relPath,
        priority: 0,
        connections: 8,
        minSplitSize: 64 * 1024,
        retries: 3,
        timeout: 5000,
        headers: {},
        secrets: [],
        ifExists: 'resume',
        checksum: undefined,
        ...file,
      };
    }),
  };
}

export async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
