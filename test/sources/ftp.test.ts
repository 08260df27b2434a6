/**
 * FTP and FTPS end to end against a real vsftpd (anonymous and a named user, explicit TLS offered) started for these
 * tests: the built CLI as a child process, the bytes on disk, vsftpd's log for connections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, controlSaysProgress, runCli, startCli, until } from '../helpers/cli.js';
import { KiB, MiB, sha256 } from '../helpers/engine.js';
import { tempDir } from '../helpers/job.js';
import { startVsftpd, type TestVsftpd } from '../helpers/vsftpd.js';

let ftpd: TestVsftpd;
const files = new Map<string, Buffer>();

before(async () => {
  ftpd = await startVsftpd();
  for (const [name, size] of [['small.bin', 300 * KiB], ['big.bin', 6 * MiB]] as const) {
    const bytes = randomBytes(size);
    files.set(name, bytes);
    await writeFile(join(ftpd.root, name), bytes, { mode: 0o644 });
  }
});
after(async () => ftpd.stop());

test('ftp: an anonymous whole-file download', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['get', ftpd.anonymousUrl('small.bin'), '-o', join(dir, 'small.bin'), '-c', '1', '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.equal(sha256(await readFile(join(dir, 'small.bin'))), sha256(files.get('small.bin')!));
  assert.deepEqual(await readdir(dir), ['small.bin']);
});

test('ftp: -c 4 reads ranges with REST over several connections and the bytes are right', async (t) => {
  const dir = await tempDir(t);
  const before = ftpd.connections();
  // A local server is fast enough that pdl rightly would not split (ranges are split when one would still take more
  // than 2 s at its measured rate): the total rate cap makes the transfer last long enough to be split.
  const result = await runCli(['get', ftpd.anonymousUrl('big.bin'), '-o', join(dir, 'big.bin'), '-c', '4', '--min-split-size', '512KiB', '--rate', '1.5MiB', '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(sha256(await readFile(join(dir, 'big.bin'))), sha256(files.get('big.bin')!));
  assert.ok(ftpd.connections() - before > 1, `expected several FTP connections, vsftpd saw ${ftpd.connections() - before}`);
});

test('ftp: a named user with the password from the environment, masked everywhere; a wrong one is refused (exit 4)', async (t) => {
  const dir = await tempDir(t);
  const job = `version: 1\ndefaults:\n  dir: ./out\n  ftp:\n    password: \${PDL_FTP_PW}\nfiles:\n  - ${ftpd.userUrl('small.bin')}\n`;
  await writeFile(join(dir, 'job.yaml'), job);
  const ok = await runCli(['run', join(dir, 'job.yaml'), '--reporter', 'plain'], { env: { PDL_FTP_PW: ftpd.password } });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(sha256(await readFile(join(dir, 'out', 'small.bin'))), sha256(files.get('small.bin')!));

  const wrong = 'wrong-password-8086';
  const refused = await runCli(['get', ftpd.userUrl('small.bin'), '-o', join(dir, 'other.bin'), '--password-env', 'PDL_FTP_PW', '--reporter', 'json'], { env: { PDL_FTP_PW: wrong } });
  assert.equal(refused.code, 4, refused.stdout + refused.stderr);
  assertCleanStderr(refused.stderr);
  assert.match(refused.stdout + refused.stderr, /FTP login as pdlftptest refused \(530/);
  assert.ok(!(refused.stdout + refused.stderr).includes(wrong), 'the password never shows');
});

test('ftp: killed with -9, the next run fetches only what is missing', async (t) => {
  const dir = await tempDir(t);
  const job = (rate: string) => `version: 1\ndefaults:\n  dir: ./out\n  connections: 1\nlimits:\n  rate: ${rate}\nfiles:\n  - ${ftpd.anonymousUrl('big.bin')}\n`;
  await writeFile(join(dir, 'slow.yaml'), job('1MiB'));
  await writeFile(join(dir, 'fast.yaml'), job('0'));
  const out = join(dir, 'out', 'big.bin');
  const killed = startCli(['run', join(dir, 'slow.yaml'), '--reporter', 'plain']);
  await until(controlSaysProgress(`${out}.pdl`), 20_000);
  killed.child.kill('SIGKILL');
  assert.equal((await killed.result).signal, 'SIGKILL');
  const rerun = await runCli(['run', join(dir, 'fast.yaml'), '--reporter', 'plain']);
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  assert.match(rerun.stdout + rerun.stderr, /resuming at [\d.]+ [KM]iB/);
  assert.equal(sha256(await readFile(out)), sha256(files.get('big.bin')!));
});

test('ftp: a missing file fails like a 404 (exit 4); a checksum mismatch exits 3 with no file', async (t) => {
  const dir = await tempDir(t);
  const missing = await runCli(['get', ftpd.anonymousUrl('nope.bin'), '-o', join(dir, 'nope.bin'), '--reporter', 'plain']);
  assert.equal(missing.code, 4, missing.stdout + missing.stderr);
  assertCleanStderr(missing.stderr);
  assert.match(missing.stdout + missing.stderr, /no such file on the server/);
  const mismatch = await runCli(['get', ftpd.anonymousUrl('small.bin'), '-o', join(dir, 'small.bin'), '--checksum', `sha256:${'0'.repeat(64)}`, '--reporter', 'plain']);
  assert.equal(mismatch.code, 3, mismatch.stdout + mismatch.stderr);
  assert.deepEqual(await readdir(dir), []);
});

test('ftps: explicit TLS with a trusted certificate works; an untrusted one fails with a clear reason, not retried', async (t) => {
  const dir = await tempDir(t);
  const ca = join(dir, 'ca.pem');
  await writeFile(ca, ftpd.cert);
  const trusted = await runCli(['get', ftpd.anonymousUrl('small.bin', 'ftps'), '-o', join(dir, 'out', 'small.bin'), '--reporter', 'plain'], { env: { NODE_EXTRA_CA_CERTS: ca } });
  assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
  assertCleanStderr(trusted.stderr);
  assert.equal(sha256(await readFile(join(dir, 'out', 'small.bin'))), sha256(files.get('small.bin')!));

  const untrusted = await runCli(['get', ftpd.anonymousUrl('small.bin', 'ftps'), '-o', join(dir, 'other', 'small.bin'), '--reporter', 'plain']);
  assert.equal(untrusted.code, 4, untrusted.stdout + untrusted.stderr);
  assertCleanStderr(untrusted.stderr);
  assert.match(untrusted.stdout + untrusted.stderr, /TLS certificate of 127\.0\.0\.1 not accepted: self[- ]signed certificate/);
  assert.doesNotMatch(untrusted.stdout + untrusted.stderr, /retr(y|ies)/);
});

test('ftp: a server that allows one connection per client (421 to extra logins): -c 4 still completes with fewer', async (t) => {
  const capped = await startVsftpd({ maxPerIp: 1 });
  t.after(() => capped.stop());
  await writeFile(join(capped.root, 'big.bin'), files.get('big.bin')!, { mode: 0o644 });
  const dir = await tempDir(t);
  const result = await runCli(['get', capped.anonymousUrl('big.bin'), '-o', join(dir, 'big.bin'), '-c', '4', '--min-split-size', '512KiB', '--rate', '1.5MiB', '--reporter', 'json']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  // A range the server refused (421) is handed back without bytes: started, never done.
  const started = (result.stdout.match(/"event":"range:start"/g) ?? []).length;
  const done = (result.stdout.match(/"event":"range:done"/g) ?? []).length;
  assert.ok(started > done, `the cap was really hit: ${started} ranges started, ${done} done`);
  assert.equal(sha256(await readFile(join(dir, 'big.bin'))), sha256(files.get('big.bin')!));
  // The learned cap is kept beside the file for the next run.
  assert.deepEqual((await readdir(dir)).sort(), ['.pdl-hosts.json', 'big.bin']);
});

test('ftp: files read one after another on one connection each all complete (a control connection is never waited on forever)', async (t) => {
  const dir = await tempDir(t);
  const names = ['r1.bin', 'r2.bin', 'r3.bin', 'r4.bin'];
  for (const name of names) await writeFile(join(ftpd.root, name), files.get('small.bin')!, { mode: 0o644 });
  const list = names.map((name) => `  - ${ftpd.anonymousUrl(name)}`).join('\n');
  await writeFile(join(dir, 'job.yaml'), `version: 1\ndefaults:\n  dir: ./out\n  connections: 1\nlimits:\n  files: 1\nfiles:\n${list}\n`);
  const before = ftpd.connections();
  const result = await runCli(['run', join(dir, 'job.yaml'), '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  for (const name of names) assert.equal(sha256(await readFile(join(dir, 'out', name))), sha256(files.get('small.bin')!));
  // One login per range: control connections are not reused between ranges (see README, SFTP and FTP).
  assert.equal(ftpd.connections() - before, names.length);
});
