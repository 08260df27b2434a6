/**
 * Dropped and stalled connections over SFTP and FTP: a TCP proxy in front of the real sshd and vsftpd cuts or
 * silences connections part way; the file still completes with the right bytes, and what the server sent in all
 * stays well under the file twice (a retry resumes where the bytes on disk end, it does not start over).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { MiB, sha256 } from '../helpers/engine.js';
import { tempDir } from '../helpers/job.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { startTcpProxy, type ProxyFault } from '../helpers/tcp-proxy.js';
import { startVsftpd, type TestVsftpd } from '../helpers/vsftpd.js';

let sshd: TestSshd;
let ftpd: TestVsftpd;
const SIZE = 6 * MiB;
const bytes = randomBytes(SIZE);

before(async () => {
  [sshd, ftpd] = await Promise.all([startSshd(), startVsftpd()]);
  await writeFile(join(sshd.root, 'big.bin'), bytes);
  await writeFile(join(ftpd.root, 'big.bin'), bytes, { mode: 0o644 });
});
after(async () => Promise.all([sshd.stop(), ftpd.stop()]));

const faults: Array<[string, ProxyFault]> = [
  ['dropped twice part way', { kind: 'cut', after: 2 * MiB, faulty: 2 }],
  ['stalled part way (the timeout watchdog drops it)', { kind: 'stall', after: 2 * MiB, faulty: 1 }],
];

for (const [label, fault] of faults) {
  test(`sftp: a connection ${label} is resumed, fetching only what is missing`, async (t) => {
    const dir = await tempDir(t);
    const proxy = await startTcpProxy(sshd.port, { fault });
    t.after(() => proxy.close());
    // The host key is recorded under the proxy's port: that is the name the client connects to.
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, (await readFile(sshd.knownHosts, 'utf8')).replace(`]:${sshd.port} `, `]:${proxy.port} `));
    const url = sshd.url('big.bin').replace(`:${sshd.port}/`, `:${proxy.port}/`);
    const out = join(dir, 'big.bin');
    const result = await runCli(['get', url, '-o', out, '-c', '1', '--timeout', '2s', '--identity', sshd.identity, '--known-hosts', knownHosts, '--reporter', 'plain']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assertCleanStderr(result.stderr);
    assert.equal(sha256(await readFile(out)), sha256(bytes));
    assert.equal(proxy.faulted(), fault.faulty, 'the proxy really faulted the connections');
    if (fault.kind === 'stall') assert.match(result.stdout + result.stderr, /no data received for 2000 ms/);
    assert.ok(proxy.serverBytes() < SIZE * 1.5, `the server sent ${proxy.serverBytes()} bytes for a ${SIZE}-byte file`);
    assert.deepEqual(await readdir(dir), ['big.bin', 'known_hosts']);
  });

  test(`ftp: a data connection ${label} is resumed with REST, fetching only what is missing`, async (t) => {
    const dir = await tempDir(t);
    const proxy = await startTcpProxy(ftpd.port, { fault, ftp: true });
    t.after(() => proxy.close());
    const url = ftpd.anonymousUrl('big.bin').replace(`:${ftpd.port}/`, `:${proxy.port}/`);
    const out = join(dir, 'big.bin');
    const result = await runCli(['get', url, '-o', out, '-c', '1', '--timeout', '2s', '--reporter', 'plain']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assertCleanStderr(result.stderr);
    assert.equal(sha256(await readFile(out)), sha256(bytes));
    assert.equal(proxy.faulted(), fault.faulty, 'the proxy really faulted the data connections');
    if (fault.kind === 'stall') assert.match(result.stdout + result.stderr, /no data received for 2000 ms|Timeout/);
    assert.ok(proxy.serverBytes() < SIZE * 1.5, `the server sent ${proxy.serverBytes()} bytes for a ${SIZE}-byte file`);
    assert.deepEqual(await readdir(dir), ['big.bin']);
  });
}
