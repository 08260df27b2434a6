/**
 * `npm run demo`: pdl working offline. Starts pdl's own fixture server on 127.0.0.1 (throttled per connection, so
 * splitting visibly helps), writes a job for it into a temp folder — large files with priorities and checksums,
 * one that fails on purpose, fifty small ones — runs `pdl run` on it, and says what it got. The temp folder (about
 * 107 MiB) is removed at the end, Ctrl-C included; `npm run demo -- --keep` keeps it and says how to remove it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFixtureServer } from '../test/helpers/fixture-server.js';

const MiB = 1024 * 1024;
const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));

const keep = process.argv.includes('--keep');
// Ctrl-C reaches pdl too (same process group): the demo waits for it to stop, then cleans up.
process.on('SIGINT', () => undefined);

const server = await startFixtureServer();
let folder: string | undefined;
try {
  const large = [
    { name: 'model-weights.bin', size: 48 * MiB, priority: 10 },
    { name: 'dataset-2026.tar', size: 32 * MiB, priority: 5 },
    { name: 'release-1.2.3.tar.gz', size: 24 * MiB, priority: 0 },
  ];
  for (const file of large) server.addFile(`/releases/${file.name}`, { size: file.size, throttle: 2 * MiB });
  const small = server.addFiles('/fixtures', 50, (i) => ({ size: 16 * 1024 + i * 997 })).map((path) => server.url(path));

  folder = await mkdtemp(join(tmpdir(), 'pdl-demo-'));
  const job = [
    '# A demo job written by `npm run demo` for pdl\'s local fixture server.',
    'version: 1',
    'defaults:',
    '  dir: ./downloads',
    '  connections: 8',
    '  minSplitSize: 1MiB',
    '  retries: 2',
    'limits:',
    '  files: 4',
    '  connections: 16',
    '  perHost: 16',
    'files:',
    ...large.flatMap((file) => [
      `  - url: ${server.url(`/releases/${file.name}`)}`,
      `    path: releases/${file.name}`,
      `    priority: ${file.priority}`,
      `    checksum: sha256:${server.file(`/releases/${file.name}`).sha256}`,
    ]),
    '  # This one does not exist on the server: pdl reports it and goes on with the others.',
    `  - url: ${server.url('/releases/missing-1.0.zip')}`,
    '    path: releases/missing-1.0.zip',
    '  # Short form: a bare URL; the file is named after the URL (0000.bin …).',
    ...small.map((url) => `  - ${url}`),
    '',
  ].join('\n');
  const jobFile = join(folder, 'jobs.yaml');
  await writeFile(jobFile, job);
  process.stdout.write(`Fixture server on ${server.origin} (each connection throttled to 2 MiB/s)\nJob file: ${jobFile}\n\n`);

  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [bin, 'run', jobFile], { stdio: 'inherit' });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal === 'SIGINT' ? 130 : 1)));
  });
  const out = join(folder, 'downloads');
  const releases = await readdir(join(out, 'releases')).catch(() => []);
  const samples = (await readdir(out).catch(() => [])).filter((name) => /^\d{4}\.bin$/.test(name));
  process.stdout.write(
    `\npdl exited with code ${code}${code === 4 ? ' (4: one file failed with an HTTP error — the missing one, on purpose)' : ''}.\n` +
      `pdl wrote to ${out}: ${releases.length} in releases/ (${releases.join(', ')}), ${samples.length} sample files.\n`,
  );
  process.exitCode = code === 4 && releases.length === large.length && samples.length === small.length ? 0 : 1;
} finally {
  await server.close();
  if (folder !== undefined) {
    if (keep) {
      process.stdout.write(`Kept ${folder} (about 107 MiB); remove it with: rm -rf '${folder}'\n`);
    } else {
      await rm(folder, { recursive: true, force: true });
      process.stdout.write(`Removed ${folder} (run 'npm run demo -- --keep' to keep the files).\n`);
    }
  }
}
