/** `urls:` and `--mirror` through the built CLI: validation, failover, one failure line, resume after kill -9. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FixtureServer } from '../helpers/fixture-server.js';
import { mirrorServers } from '../helpers/mirror-servers.js';
import { assertCleanStderr, controlSaysProgress, runCli, startCli, until } from '../helpers/cli.js';
import { tempDir } from '../helpers/job.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const servers = mirrorServers;

const sha256Of = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** Bytes asked for by the recorded ranged requests. */
function requested(server: FixtureServer, size: number): number {
  return server.requests.reduce((sum, r) => {
    const match = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? '');
    assert.ok(match, `every request of the rerun is a range request, got ${r.range}`);
    return sum + ((match[2] ? Number(match[2]) + 1 : size) - Number(match[1]));
  }, 0);
}

test('pdl get --mirror: a dead first URL, the file comes from the mirror', async (t) => {
  const [dead, good] = await servers(t, 2);
  dead!.addFile('/f.bin', { size: 200 * KiB, seed: 'f', faults: [{ type: 'status', status: 404 }] });
  good!.addFile('/f.bin', { size: 200 * KiB, seed: 'f' });
  const dir = await tempDir(t);
  const out = join(dir, 'f.bin');
  const report = join(dir, 'report.json');
  const result = await runCli(['get', dead!.url('/f.bin'), '--mirror', good!.url('/f.bin'), '-o', out, '--reporter', 'plain', '--report', report]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.equal(await sha256Of(out), good!.file('/f.bin').sha256);
  assert.match(result.stdout + result.stderr, /mirror .*127\.0\.0\.1.*404/);
  // The report lists, per file, the bytes each mirror served.
  const mirrors = (JSON.parse(await readFile(report, 'utf8')) as { files: Array<{ mirrors: Array<{ url: string; bytes: number; dropped: string | null; bad: boolean }> }> }).files[0]!.mirrors;
  assert.deepEqual(mirrors.map((m) => [m.url, m.bytes > 0, m.dropped !== null, m.bad]), [
    [dead!.url('/f.bin'), false, true, false],
    [good!.url('/f.bin'), true, false, false],
  ]);
  assert.match(mirrors[0]!.dropped!, /404/);
});

test('every mirror dead: one FAILED line naming each mirror, the exit code of the failure, no file', async (t) => {
  const [a, b, c] = await servers(t, 3);
  for (const s of [a!, b!, c!]) s.addFile('/f.bin', { size: 10 * KiB, faults: [{ type: 'status', status: 404 }] });
  const dir = await tempDir(t);
  const job = join(dir, 'job.yaml');
  await writeFile(job, `version: 1\nfiles:\n  - urls:\n      - ${a!.url('/f.bin')}\n      - ${b!.url('/f.bin')}\n      - ${c!.url('/f.bin')}\n`);
  const result = await runCli(['run', job, '--reporter', 'plain']);
  assert.equal(result.code, 4, result.stdout + result.stderr);
  // One failure for the file (told in the log and again in the summary), not one per mirror.
  const failed = new Set((result.stdout + result.stderr).split('\n').filter((line) => /FAILED/.test(line)).map((line) => line.replace(/^\S+Z /, '')));
  assert.equal(failed.size, 1, [...failed].join('\n'));
  const [line] = [...failed] as [string];
  for (const s of [a!, b!, c!]) assert.ok(line.includes(`${s.url('/f.bin')}: HTTP 404`), line);
  assert.deepEqual(await readdir(join(dir, 'downloads')).catch(() => []), [], 'no file, no .part');
});

test('pdl run: limits.perHost holds per mirror host, so two mirrors give a file twice the connections of one host', async (t) => {
  const [a, b] = await servers(t, 2);
  // Big enough for the default split rule (split a range with more than 2 s left) to reach four connections.
  for (const s of [a!, b!]) s.addFile('/f.bin', { size: 10 * MiB, seed: 'f', throttle: 1 * MiB });
  const dir = await tempDir(t);
  const job = join(dir, 'job.yaml');
  await writeFile(job, [
    'version: 1',
    'limits:',
    '  perHost: 2',
    'files:',
    `  - urls: [${a!.url('/f.bin')}, ${b!.url('/f.bin')}]`,
    `    checksum: sha256:${a!.file('/f.bin').sha256}`,
    '',
  ].join('\n'));
  const result = await runCli(['run', job, '-c', '4', '--reporter', 'plain', '--min-split-size', '64KiB']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.equal(await sha256Of(join(dir, 'downloads', 'f.bin')), a!.file('/f.bin').sha256);
  assert.ok(a!.stats.maxConcurrentServed <= 2 && b!.stats.maxConcurrentServed <= 2, `${a!.stats.maxConcurrentServed} / ${b!.stats.maxConcurrentServed}`);
  // More at once than one host may have (one host's cap is all the file got when caps counted its first URL's host).
  assert.ok(a!.group!.peak > 2, `${a!.group!.peak} at once`);
});

test('pdl validate: urls: counts every mirror host; url and urls together, duplicates and an empty list are refused', async (t) => {
  const dir = await tempDir(t);
  const good = join(dir, 'good.yaml');
  await writeFile(good, [
    'version: 1',
    'files:',
    '  - urls: [https://a.example/x.iso, https://b.example/x.iso, https://c.example/pub/x.iso]',
    '  - https://a.example/y.iso',
    '',
  ].join('\n'));
  const ok = await runCli(['validate', good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /2 files, 3 hosts \(a\.example: 2, b\.example: 1, c\.example: 1\)/);

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, [
    'version: 1',
    'files:',
    '  - url: https://a.example/x.iso',
    '    urls: [https://b.example/x.iso]',
    '  - urls: [https://a.example/z.iso, https://a.example/z.iso]',
    '  - urls: []',
    '  - path: nothing.bin',
    '  - urls: [https://a.example/w.iso, sftp://me@b.example/w.iso]',
    '',
  ].join('\n'));
  const result = await runCli(['validate', bad]);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /:4:\d+.*either `url:` or `urls:`, not both/);
  assert.match(result.stderr, /:5:\d+.*each mirror once/);
  assert.match(result.stderr, /:6:\d+.*at least one URL/);
  assert.match(result.stderr, /:7:\d+.*expected `url:`/);
  assert.match(result.stderr, /:8:\d+ files\[4\]\.urls\[1\]: unsupported scheme sftp: beside a first URL of https, a mirror is http, https or of that scheme/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
});

test('killed with SIGKILL, a file without a checksum resumes from the mirror its bytes came from, never another', async (t) => {
  const [first, second] = await servers(t, 2);
  const size = 6 * MiB;
  // The same content and the same ETag on both: only pdl's record tells whose bytes the .part holds.
  first!.addFile('/w.bin', { size, seed: 'w', faults: [{ type: 'status', status: 503 }] });
  second!.addFile('/w.bin', { size, seed: 'w', throttle: 1 * MiB });
  const dir = await tempDir(t);
  const out = join(dir, 'w.bin');
  const args = ['get', first!.url('/w.bin'), '--mirror', second!.url('/w.bin'), '-c', '4', '-o', out, '--min-split-size', '512KiB', '--retries', '1'];
  const run1 = startCli(args);
  await until(controlSaysProgress(`${out}.pdl`));
  run1.child.kill('SIGKILL');
  assert.equal((await run1.result).signal, 'SIGKILL');
  assert.ok((await stat(`${out}.part`)).size > 0);

  first!.reset();
  second!.reset();
  first!.mutate('/w.bin', { faults: [] });
  second!.mutate('/w.bin', { throttle: undefined });
  const run2 = await runCli(args);
  assert.equal(run2.code, 0, run2.stdout + run2.stderr);
  assert.equal(await sha256Of(out), second!.file('/w.bin').sha256);
  assert.deepEqual(await readdir(dir), ['w.bin']);
  assert.equal(first!.stats.requests, 0, 'the first mirror is back, but the bytes held came from the second');
  assert.ok(requested(second!, size) < size, 'only the missing bytes were fetched');
});

test('killed with SIGKILL, a file with a checksum and two mirrors resumes and fetches only what was missing', async (t) => {
  const [a, b] = await servers(t, 2);
  const size = 6 * MiB;
  for (const s of [a!, b!]) s.addFile('/w.bin', { size, seed: 'w', throttle: 1 * MiB });
  const dir = await tempDir(t);
  const out = join(dir, 'w.bin');
  const args = ['get', a!.url('/w.bin'), '--mirror', b!.url('/w.bin'), '--checksum', `sha256:${a!.file('/w.bin').sha256}`, '-c', '4', '-o', out, '--min-split-size', '512KiB'];
  const run1 = startCli(args);
  await until(controlSaysProgress(`${out}.pdl`));
  run1.child.kill('SIGKILL');
  assert.equal((await run1.result).signal, 'SIGKILL');

  for (const s of [a!, b!]) {
    s.reset();
    s.mutate('/w.bin', { throttle: undefined });
  }
  const run2 = await runCli(args);
  assert.equal(run2.code, 0, run2.stdout + run2.stderr);
  assert.equal(await sha256Of(out), a!.file('/w.bin').sha256);
  assert.deepEqual(await readdir(dir), ['w.bin']);
  assert.ok(requested(a!, size) + requested(b!, size) < size, 'only the missing bytes were fetched');
});

test('pdl lock keeps every mirror as written; --frozen fails (exit 3) when the job lists other mirrors', async (t) => {
  const [a, b] = await servers(t, 2);
  for (const s of [a!, b!]) s.addFile('/f.bin', { size: 50 * KiB, seed: 'f' });
  const dir = await tempDir(t);
  const job = join(dir, 'jobs.yaml');
  const write = (urls: string[]) => writeFile(job, `version: 1\ndefaults:\n  dir: ./out\nfiles:\n  - urls: [${urls.join(', ')}]\n`);
  await write([a!.url('/f.bin'), b!.url('/f.bin')]);
  const lock = await runCli(['lock', job, '--reporter', 'plain'], { cwd: dir });
  assert.equal(lock.code, 0, lock.stdout + lock.stderr);
  const text = await readFile(join(dir, 'jobs.lock.yaml'), 'utf8');
  assert.ok(text.includes(`    url: ${a!.url('/f.bin')}\n    mirrors:\n      - ${b!.url('/f.bin')}\n`), text);
  assert.ok(text.includes(`sha256: ${a!.file('/f.bin').sha256}`), text);
  const frozen = await runCli(['run', job, '--frozen', '--dir', 'fresh', '--reporter', 'plain'], { cwd: dir });
  assert.equal(frozen.code, 0, frozen.stdout + frozen.stderr);

  await write([a!.url('/f.bin')]);
  const drift = await runCli(['run', job, '--frozen', '--dir', 'again', '--reporter', 'plain'], { cwd: dir });
  assert.equal(drift.code, 3, drift.stdout + drift.stderr);
  assert.match(drift.stderr + drift.stdout, /mirrors are \[\], jobs\.lock\.yaml locked \[.*127\.0\.0\.2/);
});
