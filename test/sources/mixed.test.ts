/**
 * One job mixing http, sftp and ftp: the same engine, checksums, `newer`, state file, `plan` and lock file for all
 * three, against a fixture HTTP server, a real sshd and a real vsftpd.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { fixture, KiB, MiB, sha256 } from '../helpers/engine.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { startVsftpd, type TestVsftpd } from '../helpers/vsftpd.js';

let sshd: TestSshd;
let ftpd: TestVsftpd;
before(async () => {
  [sshd, ftpd] = await Promise.all([startSshd(), startVsftpd()]);
});
after(async () => {
  await Promise.all([sshd.stop(), ftpd.stop()]);
});

test('a job mixing http, sftp and ftp: verified downloads, then newer finds all unchanged, plan agrees, a changed sftp file is replaced', async (t) => {
  const { server, dir } = await fixture(t);
  const httpUrl = server.addFile('/h.bin', { size: 1 * MiB + 3 });
  const sftpBytes = randomBytes(2 * MiB + 5);
  const ftpBytes = randomBytes(700 * KiB);
  await writeFile(join(sshd.root, 's.bin'), sftpBytes);
  await writeFile(join(ftpd.root, 'f.bin'), ftpBytes, { mode: 0o644 });
  const job = [
    'version: 1',
    'defaults:',
    '  dir: ./out',
    '  ifExists: newer',
    '  minSplitSize: 256KiB',
    '  ssh:',
    `    identity: ${sshd.identity}`,
    `    knownHosts: ${sshd.knownHosts}`,
    'files:',
    `  - url: ${httpUrl}`,
    `    checksum: sha256:${server.file('/h.bin').sha256}`,
    `  - url: ${sshd.url('s.bin')}`,
    `    checksum: sha256:${sha256(sftpBytes)}`,
    `  - url: ${ftpd.anonymousUrl('f.bin')}`,
    `    checksum: sha256:${sha256(ftpBytes)}`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'job.yaml'), job);
  const out = join(dir, 'out');

  const first = await runCli(['run', join(dir, 'job.yaml'), '--reporter', 'plain']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assertCleanStderr(first.stderr);
  assert.equal(sha256(await readFile(join(out, 'h.bin'))), server.file('/h.bin').sha256);
  assert.equal(sha256(await readFile(join(out, 's.bin'))), sha256(sftpBytes));
  assert.equal(sha256(await readFile(join(out, 'f.bin'))), sha256(ftpBytes));

  // Without checksums, `newer` must ask each server whether its file changed (size and mtime for sftp and ftp).
  await writeFile(join(dir, 'job.yaml'), job.split('\n').filter((line) => !line.includes('checksum:')).join('\n'));
  const again = await runCli(['run', join(dir, 'job.yaml'), '--reporter', 'plain']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /0 done, 3 unchanged, 0 skipped, 0 failed/);

  const plan = await runCli(['plan', join(dir, 'job.yaml')]);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.doesNotMatch(plan.stdout, /download|resume|fail/i, plan.stdout);

  // A new version on the SFTP server (another size and mtime): newer replaces it, the others stay.
  const newer = randomBytes(1 * MiB);
  await writeFile(join(sshd.root, 's.bin'), newer);
  await utimes(join(sshd.root, 's.bin'), new Date(), new Date(Date.now() + 60_000));
  const third = await runCli(['run', join(dir, 'job.yaml'), '--reporter', 'plain']);
  assert.equal(third.code, 0, third.stdout + third.stderr);
  assert.match(third.stdout, /1 done, 2 unchanged, 0 skipped, 0 failed/);
  assert.equal(sha256(await readFile(join(out, 's.bin'))), sha256(newer));
  assert.deepEqual((await readdir(out)).filter((name) => !name.startsWith('.')).sort(), ['f.bin', 'h.bin', 's.bin']);
});
