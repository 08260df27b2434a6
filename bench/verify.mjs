// Verify a benchmark's output folder against sha256sum-format manifests (paths relative to the folder).
// Usage: node bench/verify.mjs <outDir> <manifest>...
// Node's sha256 is about 4× faster than coreutils' sha256sum here, which keeps the untimed part of a run short.
// Exit 0 when every listed file exists with the right digest, 1 otherwise (the first problems are printed).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const [outDir, ...manifests] = process.argv.slice(2);
if (!outDir || manifests.length === 0) {
  process.stderr.write('usage: node bench/verify.mjs <outDir> <manifest>...\n');
  process.exit(2);
}

const entries = [];
for (const manifest of manifests) {
  for (const line of (await readFile(manifest, 'utf8')).split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match) entries.push({ hex: match[1], path: match[2] });
  }
}
if (entries.length === 0) {
  process.stderr.write(`verify: no entries in ${manifests.join(' ')}\n`);
  process.exit(2);
}

function sha256(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

const problems = [];
let next = 0;
async function worker() {
  while (next < entries.length) {
    const entry = entries[next++];
    try {
      const actual = await sha256(join(outDir, entry.path));
      if (actual !== entry.hex) problems.push(`${entry.path}: sha256 ${actual}, expected ${entry.hex}`);
    } catch (error) {
      problems.push(`${entry.path}: ${error.code ?? error.message}`);
    }
  }
}
await Promise.all(Array.from({ length: 8 }, worker));

if (problems.length > 0) {
  process.stderr.write(`verify: ${problems.length} of ${entries.length} files wrong in ${outDir}\n`);
  for (const problem of problems.slice(0, 10)) process.stderr.write(`  ${problem}\n`);
  process.exit(1);
}
process.stdout.write(`verify: ${entries.length} files ok\n`);
