/** `pdl run --dry-run`: the resolved plan in start order, secrets masked (URLs are shown as written). */
import { startOrder } from '../engine/scheduler.js';
import type { ResolvedJob } from '../job/resolved.js';
import { formatBytes } from '../report/format.js';

export function formatDryRun(job: ResolvedJob): string {
  const lines = [
    `job: ${job.source ?? '(command line)'}`,
    `dir: ${job.dir}`,
    `limits: ${job.limits.files} files, ${job.limits.connections} connections, ${job.limits.perHost} per host, rate ${job.limits.rate > 0 ? `${formatBytes(job.limits.rate)}/s` : 'unlimited'}`,
    `${job.files.length} file${job.files.length === 1 ? '' : 's'} in start order:`,
  ];
  for (const file of startOrder(job.files)) {
    const checksum = file.checksum ? `${file.checksum.algorithm}:${file.checksum.hex}` : 'no checksum';
    const headers = Object.keys(file.headers);
    lines.push(
      `  [${file.priority}] ${file.relPath}`,
      `      ${file.displayUrl}`,
      `      ${file.connections} connection${file.connections === 1 ? '' : 's'}, ${checksum}, ifExists ${file.ifExists}${headers.length > 0 ? `, headers: ${headers.join(', ')}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
