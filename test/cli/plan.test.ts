/** `pdl plan`: one bodiless probe per file, the run's decisions printed, nothing written to disk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorState } from '../../src/storage/mirror-state.js';
import { writeResumeState } from '../../src/storage/resume-state.js';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { fixture, KiB } from '../helpers/engine.js';

/** Every file below `dir` with its size and mtime: what "nothing was written" is checked against. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  const out: string[] = [];
  for (const name of entries.sort()) {
    const s = await stat(join(dir, name));
    out.push(`${name} ${s.isFile() ? s.size : 'dir'} ${s.mtimeMs}`);
  }
  return out;
}

test('pdl plan: unchanged (state + 304), resume N bytes left, download size, fail HTTP 404, the total; no body, no writes', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/a.bin', { size: 100 * KiB });
  server.addFile('/b.bin', { size: 300 * KiB });
  server.addFile('/c.bin', { size: 200 * KiB });
  const [a, b, c] = ['/a.bin', '/b.bin', '/c.bin'].map((path) => server.file(path)) as [ReturnType<typeof server.file>, ReturnType<typeof server.file>, ReturnType<typeof server.file>];
  const missing = server.url('/d.bin');
  const out = join(dir, 'out');
  await mkdir(out);

  // a.bin: what a previous `newer` run left — the file and its state entry.
  await writeFile(join(out, 'a.bin'), a.bytes());
  const { state } = await MirrorState.load(out);
  state.record('a.bin', { url: a.url, finalUrl: undefined, etag: a.etag, lastModified: a.lastModified, size: a.size, sha256: a.sha256, completedAt: new Date().toISOString() });
  await state.close();
  // b.bin: an interrupted download, 100 KiB of 300 KiB done.
  await writeFile(join(out, 'b.bin.part'), b.bytes(0, 100 * KiB));
  await writeResumeState(join(out, 'b.bin.pdl'), {
    format: 'pdl-resume', version: 1, url: b.url, size: b.size, etag: b.etag, lastModified: b.lastModified, ranges: true,
    done: [{ start: 0, end: 100 * KiB }], updatedAt: new Date().toISOString(),
  });
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\n  retries: 0\nfiles:\n  - url: ${a.url}\n    ifExists: newer\n  - ${b.url}\n  - ${c.url}\n  - ${missing}\n`);
  const before = await snapshot(dir);

  const plan = await runCli(['plan', job]);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assertCleanStderr(plan.stderr);
  const lines = plan.stdout.trim().split('\n');
  assert.match(lines[0]!, /^unchanged\s+a\.bin\s+102400 bytes .*not modified on the server/);
  assert.match(lines[1]!, /^resume\s+b\.bin\s+204800 bytes \(200\.0 KiB\) left of 307200 bytes/);
  assert.match(lines[2]!, /^download\s+c\.bin\s+204800 bytes/);
  assert.match(lines[3]!, /^fail\s+d\.bin\s+HTTP 404/);
  assert.match(lines[4]!, /^total: 409600 bytes \(400\.0 KiB\) to transfer; 2 of 4 files to fetch \(.*\); 1 of 4 files would fail$/);

  assert.deepEqual(await snapshot(dir), before, 'no file was created, removed or changed');
  assert.equal(server.requests.length, 4, 'one probe per file');
  assert.ok(server.requests.every((r) => r.range === 'bytes=0-0'), 'every probe asks for one byte at most');
  assert.equal(server.requests.find((r) => r.path === '/a.bin')?.status, 304);
  assert.ok(server.stats.bytesServed <= 2, `no body was sent beyond the probed byte (${server.stats.bytesServed} bytes)`);
  assert.equal((await readFile(join(out, 'b.bin.part'))).length, 100 * KiB);
});

test('pdl plan: a bad job file exits 2', async (t) => {
  const { dir } = await fixture(t);
  const job = join(dir, 'bad.yaml');
  await writeFile(job, 'version: 1\nfiles: []\n');
  const result = await runCli(['plan', job]);
  assert.equal(result.code, 2);
  assertCleanStderr(result.stderr);
});

test('pdl plan: a present file pdl did not finish is skipped when the server\'s size matches, failed when it does not', async (t) => {
  const { server, dir } = await fixture(t);
  const same = server.addFile('/same.bin', { size: 2 * KiB });
  const other = server.addFile('/other.bin', { size: 3 * KiB });
  const out = join(dir, 'out');
  await mkdir(out);
  await writeFile(join(out, 'same.bin'), Buffer.alloc(2 * KiB));
  await writeFile(join(out, 'other.bin'), 'hello\n');
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\nfiles:\n  - ${same}\n  - ${other}\n`);
  const before = await snapshot(dir);
  const plan = await runCli(['plan', job]);
  assertCleanStderr(plan.stderr);
  const lines = plan.stdout.trim().split('\n');
  assert.match(lines[0]!, /^skip\s+same\.bin\s+2048 bytes .*the size the server has/);
  assert.match(lines[1]!, /^fail\s+other\.bin\s+.*6 bytes.*3072 bytes/);
  assert.deepEqual(await snapshot(dir), before);
  assert.equal(server.requests.length, 2);
});
