import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer } from '../helpers/fixture-server.js';
import { assertCleanStderr, runCli, startCli, until, controlSaysProgress } from '../helpers/cli.js';
import { tempDir } from '../helpers/job.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function fixture(t: { after(fn: () => Promise<void>): void }): Promise<{ server: FixtureServer; dir: string }> {
  const server = await startFixtureServer();
  t.after(() => server.close());
  return { server, dir: await tempDir(t) };
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}



test('pdl get downloads a file with several connections and exits 0', async (t) => {
  const { server, dir } = await fixture(t);
  // Slow enough that the measured-speed rule splits (a range must have more than 2 s left at its rate).
  const url = server.addFile('/data/set.bin', { size: 3 * MiB + 7, throttle: 1 * MiB });
  const out = join(dir, 'set.bin');
  const result = await runCli(['get', url, '-c', '4', '-o', out, '--min-split-size', '256KiB']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assertCleanStderr(result.stderr);
  assert.equal(await sha256Of(out), server.file('/data/set.bin').sha256);
  assert.deepEqual(await readdir(dir), ['set.bin']);
  assert.ok(new Set(server.requests.map((r) => r.socketId)).size > 1, 'several connections were used');
  assert.match(result.stderr, /done\s+set\.bin/);
});

test('pdl get -o with a folder keeps the URL file name; without -o it writes to the current folder', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/a/name.txt', { size: 1000 });
  assert.equal((await runCli(['get', url, '-o', `${dir}/`])).code, 0);
  assert.equal(await sha256Of(join(dir, 'name.txt')), server.file('/a/name.txt').sha256);
  const cwd = await tempDir(t);
  assert.equal((await runCli(['get', url], { cwd })).code, 0);
  assert.deepEqual(await readdir(cwd), ['name.txt']);
});

test('exit codes: usage 2, integrity 3, network/HTTP 4, protocol 5, local I/O 6 — one clear line, no stack trace', async (t) => {
  const { server, dir } = await fixture(t);
  const ok = server.addFile('/ok.bin', { size: 2000 });
  const missing = server.url('/missing.bin');
  server.addRedirect('/loop-a', '/loop-b');
  server.addRedirect('/loop-b', '/loop-a');
  await writeFile(join(dir, 'exists.bin'), 'mine');
  const cases: Array<[string, string[], number, RegExp]> = [
    ['unknown flag', ['get', ok, '--bogus'], 2, /Unknown option '--bogus'/],
    ['missing URL', ['get'], 2, /missing the URL/],
    ['bad connections', ['get', ok, '-c', '0'], 2, /--connections: expected a whole number from 1 to 64, got "0"/],
    ['gopher URL', ['get', 'gopher://example.org/x.bin'], 2, /unsupported scheme gopher/],
    ['credentials in URL', ['get', 'http://user:pw@127.0.0.1/x.bin'], 2, /header/i],
    ['bad checksum syntax', ['get', ok, '--checksum', 'sha256:xyz'], 2, /--checksum: expected "<algorithm>:<hex>"/],
    ['wrong checksum', ['get', ok, '-o', join(dir, 'ok.bin'), '--checksum', `sha256:${'0'.repeat(64)}`], 3, /checksum mismatch: expected sha256:0{64}, got sha256:[0-9a-f]{64}/],
    ['404', ['get', missing, '-o', join(dir, 'missing.bin')], 4, /HTTP 404/],
    ['redirect loop', ['get', server.url('/loop-a'), '-o', join(dir, 'loop.bin')], 5, /redirect loop/],
    ['existing file, ifExists fail', ['get', ok, '-o', join(dir, 'exists.bin'), '--if-exists', 'fail'], 6, /already exists/],
  ];
  for (const [name, args, code, message] of cases) {
    const result = await runCli(args, { cwd: dir });
    assert.equal(result.code, code, `${name}: ${result.stdout}${result.stderr}`);
    assert.match(result.stdout + result.stderr, message, name);
    assertCleanStderr(result.stderr);
  }
  assert.equal(await readFile(join(dir, 'exists.bin'), 'utf8'), 'mine', 'an existing file is never touched');
  assert.ok(!(await readdir(dir)).includes('ok.bin'), 'a file that failed its checksum is never presented');
});

test('a failure line names the URL, the reason and where the file stopped', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/cut.bin', { size: 256 * KiB, faults: [{ type: 'reset', afterBytes: 100 * KiB, firstN: 10 }] });
  const result = await runCli(['get', url, '-c', '1', '--retries', '0', '-o', join(dir, 'cut.bin')]);
  assert.equal(result.code, 4, result.stdout + result.stderr);
  const failed = result.stdout.split('\n').filter((line) => line.includes('FAILED'));
  assert.ok(failed.length >= 1);
  assert.match(failed[0]!, new RegExp(`cut\\.bin: .*\\[${url.replace(/[.]/g, '\\.')}, stopped at 102400 of 262144 bytes\\]`));
});

test('killed with SIGKILL midway, a rerun completes the file and fetches only what was missing', async (t) => {
  const { server, dir } = await fixture(t);
  const size = 6 * MiB;
  const url = server.addFile('/weights.bin', { size, throttle: 1 * MiB });
  const out = join(dir, 'weights.bin');
  const first = startCli(['get', url, '-c', '4', '-o', out, '--min-split-size', '512KiB']);
  await until(controlSaysProgress(`${out}.pdl`));
  first.child.kill('SIGKILL');
  const killed = await first.result;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok((await stat(`${out}.part`)).size > 0);

  server.reset();
  server.mutate('/weights.bin', { throttle: undefined });
  const second = await runCli(['get', url, '-c', '4', '-o', out, '--min-split-size', '512KiB']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.equal(await sha256Of(out), server.file('/weights.bin').sha256);
  assert.deepEqual(await readdir(dir), ['weights.bin']);
  const requested = server.requests.reduce((sum, r) => {
    const match = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? '');
    assert.ok(match, `every request of the rerun is a range request, got ${r.range}`);
    return sum + ((match[2] ? Number(match[2]) + 1 : size) - Number(match[1]));
  }, 0);
  assert.ok(requested < size, `the rerun asked for ${requested} bytes of ${size}`);
  assert.ok(server.requests.every((r) => r.ifRange === server.file('/weights.bin').etag), 'every resumed range carries If-Range');
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} stops cleanly: progress saved, exit ${code}, and it says how to resume`, async (t) => {
    const { server, dir } = await fixture(t);
    const url = server.addFile('/slow.bin', { size: 8 * MiB, throttle: 512 * KiB });
    const out = join(dir, 'slow.bin');
    const run = startCli(['get', url, '-c', '2', '-o', out]);
    await until(controlSaysProgress(`${out}.pdl`));
    run.child.kill(signal);
    const result = await run.result;
    assert.equal(result.code, code, result.stdout + result.stderr);
    assertCleanStderr(result.stderr);
    assert.match(result.stdout + result.stderr, /run the same command again to resume/);
    assert.deepEqual((await readdir(dir)).sort(), ['slow.bin.part', 'slow.bin.pdl']);
  });
}

test('pdl get over a file it did not write, of another size: exit 6, both sizes named, the file untouched', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/small.bin', { size: KiB });
  const out = join(dir, 'small.bin');
  await writeFile(out, 'hello\n');
  const before = await stat(out);
  const result = await runCli(['get', url], { cwd: dir });
  assert.equal(result.code, 6, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.match(result.stdout + result.stderr, /small\.bin.*6 bytes.*1024 bytes.*ifExists: overwrite/);
  assert.equal(await readFile(out, 'utf8'), 'hello\n');
  assert.equal((await stat(out)).mtimeMs, before.mtimeMs);
  assert.deepEqual(await readdir(dir), ['small.bin']);
  assert.equal(server.requests.length, 1);
});
