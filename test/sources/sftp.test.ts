/**
 * SFTP end to end against a real OpenSSH sshd (internal-sftp, key authentication) started for these tests: the
 * built CLI as a child process, the bytes on disk, sshd's own log for connections and logins.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, controlSaysProgress, runCli, startCli, until } from '../helpers/cli.js';
import { KiB, MiB, sha256 } from '../helpers/engine.js';
import { tempDir } from '../helpers/job.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
const files = new Map<string, Buffer>();

before(async () => {
  sshd = await startSshd();
  for (const [name, size] of [['small.bin', 300 * KiB], ['big.bin', 6 * MiB]] as const) {
    const bytes = randomBytes(size);
    files.set(name, bytes);
    await writeFile(join(sshd.root, name), bytes);
  }
});
after(async () => sshd.stop());

const keyFlags = () => ['--identity', sshd.identity, '--known-hosts', sshd.knownHosts];

test('sftp: pdl get fetches a whole file with a key, checking the host key', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'small.bin');
  const result = await runCli(['get', sshd.url('small.bin'), '-o', out, '-c', '1', ...keyFlags(), '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.equal(sha256(await readFile(out)), sha256(files.get('small.bin')!));
  assert.deepEqual(await readdir(dir), ['small.bin']);
});

test('sftp: -c 4 reads ranges over several SSH connections and the bytes are right', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'big.bin');
  const before = sshd.connections();
  // Rate-capped so the transfer lasts long enough for the measured-speed rule to split it (see the ftp test).
  const result = await runCli(['get', sshd.url('big.bin'), '-o', out, '-c', '4', '--min-split-size', '256KiB', '--rate', '1.5MiB', ...keyFlags(), '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(sha256(await readFile(out)), sha256(files.get('big.bin')!));
  const used = sshd.connections() - before;
  assert.ok(used > 1 && used <= 4, `expected 2 to 4 SSH connections, sshd saw ${used}`);
});

test('sftp: a job file with an ssh block, a hashed known_hosts and a path under the home folder (/~/)', async (t) => {
  const dir = await tempDir(t);
  const hashed = join(dir, 'known_hosts');
  await copyFile(sshd.knownHosts, hashed);
  execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
  assert.match(await readFile(hashed, 'utf8'), /^\|1\|/, 'the entry is hashed');
  await copyFile(sshd.identity, join(dir, 'id_test'));
  // The test user's home is where sftp relative paths start; root's is /root in CI, so use a path relative to /.
  const relative = sshd.root.split('/').map(() => '..').join('/') + sshd.root;
  const url = `sftp://${sshd.user}@127.0.0.1:${sshd.port}/~/${relative}/small.bin`;
  await writeFile(join(dir, 'job.yaml'), `version: 1\ndefaults:\n  dir: ./out\n  ssh:\n    identity: ./id_test\n    knownHosts: ./known_hosts\nfiles:\n  - ${url}\n`);
  const result = await runCli(['run', join(dir, 'job.yaml'), '--reporter', 'plain']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(sha256(await readFile(join(dir, 'out', 'small.bin'))), sha256(files.get('small.bin')!));
});

test('sftp: killed with -9, the next run fetches only what is missing', async (t) => {
  const dir = await tempDir(t);
  const job = (rate: string) =>
    `version: 1\ndefaults:\n  dir: ./out\n  connections: 1\n  ssh:\n    identity: ${sshd.identity}\n    knownHosts: ${sshd.knownHosts}\nlimits:\n  rate: ${rate}\nfiles:\n  - ${sshd.url('big.bin')}\n`;
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
  assert.match(rerun.stdout + rerun.stderr, /resumed/);
  assert.equal(sha256(await readFile(out)), sha256(files.get('big.bin')!));
  assert.deepEqual(await readdir(join(dir, 'out')), ['big.bin']);
});

test('sftp: a remote file that changed since the kill is fetched again, never stitched', async (t) => {
  const dir = await tempDir(t);
  const name = 'changing.bin';
  const first = randomBytes(4 * MiB);
  await writeFile(join(sshd.root, name), first);
  const job = (rate: string) =>
    `version: 1\ndefaults:\n  dir: ./out\n  connections: 1\n  ssh:\n    identity: ${sshd.identity}\n    knownHosts: ${sshd.knownHosts}\nlimits:\n  rate: ${rate}\nfiles:\n  - ${sshd.url(name)}\n`;
  await writeFile(join(dir, 'slow.yaml'), job('1MiB'));
  await writeFile(join(dir, 'fast.yaml'), job('0'));
  const out = join(dir, 'out', name);
  const killed = startCli(['run', join(dir, 'slow.yaml'), '--reporter', 'plain']);
  await until(controlSaysProgress(`${out}.pdl`), 20_000);
  killed.child.kill('SIGKILL');
  await killed.result;
  const second = randomBytes(4 * MiB);
  await writeFile(join(sshd.root, name), second);
  const rerun = await runCli(['run', join(dir, 'fast.yaml'), '--reporter', 'plain']);
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  assert.equal(sha256(await readFile(out)), sha256(second));
});

test('sftp: a missing file fails like a 404 (exit 4)', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['get', sshd.url('nope.bin'), '-o', join(dir, 'nope.bin'), ...keyFlags(), '--reporter', 'plain']);
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.match(result.stdout + result.stderr, /no such file on the server/);
  assert.deepEqual(await readdir(dir), []);
});

for (const [label, which, expected] of [
  ['changed', 'wrong', /does not match the key recorded in/],
  ['unknown', 'empty', /is not in .*; if that fingerprint is the server's, add it: ssh-keyscan -t ssh-ed25519 -p \d+ 127\.0\.0\.1 >> /],
] as const) {
  test(`sftp: an ${label} host key fails the file before authentication, naming host, fingerprint and what to do`, async (t) => {
    const dir = await tempDir(t);
    const knownHosts = which === 'wrong' ? sshd.wrongKnownHosts : join(dir, 'known_hosts');
    if (which === 'empty') await writeFile(knownHosts, '');
    const logins = (sshd.log().match(/Accepted publickey|Failed publickey|Postponed publickey/g) ?? []).length;
    const result = await runCli(['get', sshd.url('small.bin'), '-o', join(dir, 'out', 'small.bin'), '--identity', sshd.identity, '--known-hosts', knownHosts, '--reporter', 'plain']);
    assert.equal(result.code, 4, result.stdout + result.stderr);
    assertCleanStderr(result.stderr);
    const text = result.stdout + result.stderr;
    assert.match(text, /host key of \[127\.0\.0\.1\]:\d+/);
    assert.ok(text.includes(sshd.fingerprint), `the message names the server key's fingerprint ${sshd.fingerprint}:\n${text}`);
    assert.match(text, expected);
    assert.doesNotMatch(text, /retr(y|ies)/, 'not retried');
    assert.equal((sshd.log().match(/Accepted publickey|Failed publickey|Postponed publickey/g) ?? []).length, logins, 'no key was offered to the server');
  });
}

test('sftp: a key the server does not accept fails with a one-line reason, not retried (exit 4)', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['get', sshd.url('small.bin'), '-o', join(dir, 'small.bin'), '--identity', sshd.strangerIdentity, '--known-hosts', sshd.knownHosts, '--reporter', 'plain']);
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  assert.match(result.stdout + result.stderr, /SSH authentication failed/);
  assert.doesNotMatch(result.stdout + result.stderr, /retr(y|ies)/);
  assert.deepEqual(await readdir(dir), []);
});

test('sftp: a password from the environment is masked everywhere, and a wrong one is refused (exit 4)', async (t) => {
  const dir = await tempDir(t);
  const secret = 'not-the-password-5150';
  const result = await runCli(['get', sshd.url('small.bin'), '-o', join(dir, 'small.bin'), '--known-hosts', sshd.knownHosts, '--password-env', 'PDL_TEST_PW', '--reporter', 'json'], { env: { PDL_TEST_PW: secret } });
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /SSH authentication failed/);
  assert.ok(!(result.stdout + result.stderr).includes(secret), 'the password never shows');
});

test('sftp: a checksum mismatch exits 3 and leaves no file', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['get', sshd.url('small.bin'), '-o', join(dir, 'small.bin'), '--checksum', `sha256:${'0'.repeat(64)}`, ...keyFlags(), '--reporter', 'plain']);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /checksum mismatch/);
  assert.deepEqual(await readdir(dir), []);
});

test('sftp: with no identity and no password the SSH agent logs in; with no agent either, a one-line auth error, not retried', async (t) => {
  const dir = await tempDir(t);
  const socket = join(dir, 'agent.sock');
  // -D keeps the agent in the foreground, so the test owns its process and ends it.
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  t.after(() => void agent.kill());
  await until(async () => readdir(dir).then((names) => names.includes('agent.sock')), 10_000);
  execFileSync('ssh-add', [sshd.identity], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  const withAgent = await runCli(['get', sshd.url('small.bin'), '-o', join(dir, 'out', 'small.bin'), '--known-hosts', sshd.knownHosts, '--reporter', 'plain'], { env: { SSH_AUTH_SOCK: socket } });
  assert.equal(withAgent.code, 0, withAgent.stdout + withAgent.stderr);
  assertCleanStderr(withAgent.stderr);
  assert.equal(sha256(await readFile(join(dir, 'out', 'small.bin'))), sha256(files.get('small.bin')!));

  const noAgent = await runCli(['get', sshd.url('small.bin'), '-o', join(dir, 'none', 'small.bin'), '--known-hosts', sshd.knownHosts, '--reporter', 'plain'], { env: { SSH_AUTH_SOCK: '' } });
  assert.equal(noAgent.code, 4, noAgent.stdout + noAgent.stderr);
  assertCleanStderr(noAgent.stderr);
  const text = noAgent.stdout + noAgent.stderr;
  assert.match(text, /SSH authentication failed: no identity, password or SSH agent to log in with \(--identity, --password-env or SSH_AUTH_SOCK\)/);
  assert.doesNotMatch(text, /retr(y|ies)/);
});
