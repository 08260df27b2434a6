/** The local side: an existing final file (ifExists), a full disk, and links where pdl would write. */
import { test,type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp,readFile,readdir,readlink,rmdir,symlink,writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from '../../src/run-job.js';
import { EngineEmitter } from '../../src/engine/events.js';
import type { Checksum,IfExists } from '../../src/job/resolved.js';
import { makeJob } from '../helpers/job.js';
import { sha256,KiB,MiB,fixture,assertDownloaded } from '../helpers/engine.js';




const OLD = 'an older file the user already has\n';

interface IfExistsCase {
  ifExists: IfExists;
  /** Which checksum the job gives: none, the existing file's, or the server file's (≠ existing). */
  checksum: 'none' | 'existing' | 'server';
  /** The existing file is the server's content rather than OLD. */
  existingIsServer?: boolean;
  outcome: 'skipped' | 'downloaded' | 'failed';
  code?: string;
  message?: RegExp;
  /** Requests made: a size probe, or none. */
  probes?: number;
}

const IF_EXISTS: IfExistsCase[] = [
  // Not a file pdl finished and no checksum: one probe shows the server's file is another size (existing-file.test.ts).
  { ifExists: 'skip', checksum: 'none', outcome: 'failed', code: 'E_IO', message: /35 bytes.*65536 bytes.*left as it is/, probes: 1 },
  { ifExists: 'resume', checksum: 'none', outcome: 'failed', code: 'E_IO', message: /35 bytes.*65536 bytes.*ifExists: overwrite/, probes: 1 },
  { ifExists: 'resume', checksum: 'none', existingIsServer: true, outcome: 'skipped', probes: 1 },
  { ifExists: 'skip', checksum: 'existing', outcome: 'skipped' },
  { ifExists: 'resume', checksum: 'server', existingIsServer: true, outcome: 'skipped' },
  { ifExists: 'skip', checksum: 'server', outcome: 'failed', code: 'E_CHECKSUM', message: /existing file checksum mismatch.*left as it is/ },
  { ifExists: 'resume', checksum: 'server', outcome: 'failed', code: 'E_CHECKSUM', message: /existing file checksum mismatch/ },
  { ifExists: 'fail', checksum: 'none', outcome: 'failed', code: 'E_IO', message: /already exists \(ifExists: fail\)/ },
  { ifExists: 'fail', checksum: 'existing', outcome: 'failed', code: 'E_IO', message: /already exists/ },
  { ifExists: 'overwrite', checksum: 'none', outcome: 'downloaded' },
  { ifExists: 'overwrite', checksum: 'server', outcome: 'downloaded' },
];

for (const c of IF_EXISTS) {
  const name = `ifExists: ${c.ifExists}, checksum of ${c.checksum}${c.existingIsServer ? ' (file already complete)' : ''} → ${c.outcome}${c.code ? ` ${c.code}` : ''}`;
  test(name, async (t) => {
    const { server, dir } = await fixture(t);
    server.addFile('/have.bin', { size: 64 * KiB });
    const served = server.file('/have.bin');
    const existing = c.existingIsServer ? served.bytes() : Buffer.from(OLD);
    await writeFile(join(dir, 'have.bin'), existing);
    const checksum: Checksum | undefined =
      c.checksum === 'none' ? undefined : { algorithm: 'sha256', hex: c.checksum === 'existing' ? sha256(existing) : served.sha256 };
    const summary = await runJob(makeJob(dir, [{ url: served.url, ifExists: c.ifExists, checksum }]));
    const file = summary.files[0];
    assert.equal(file?.outcome, c.outcome, JSON.stringify(file));
    assert.equal(file?.error?.code, c.code);
    if (c.message) assert.match(file?.error?.message ?? '', c.message);
    if (c.outcome === 'downloaded') {
      await assertDownloaded(dir, 'have.bin', served.sha256);
      assert.ok(server.requests.length > 0);
    } else {
      // Left exactly as it was, and the server was asked at most for its size.
      assert.ok((await readFile(join(dir, 'have.bin'))).equals(existing));
      assert.deepEqual(await readdir(dir), ['have.bin']);
      assert.equal(server.requests.length, c.probes ?? 0);
    }
  });
}

test('a symbolic link at <path>.part is refused with E_IO and left alone', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/linked.bin', { size: 10 * KiB });
  const target = join(dir, 'elsewhere.txt');
  await writeFile(target, 'do not touch');
  await symlink(target, join(dir, 'linked.bin.part'));
  const summary = await runJob(makeJob(dir, [{ url: server.url('/linked.bin') }]));
  assert.equal(summary.files[0]?.outcome, 'failed');
  assert.equal(summary.files[0]?.error?.code, 'E_IO');
  assert.match(summary.files[0]?.error?.message ?? '', /linked\.bin\.part is a symbolic link/);
  assert.equal(await readlink(join(dir, 'linked.bin.part')), target);
  assert.equal(await readFile(target, 'utf8'), 'do not touch');
  assert.equal(server.requests.length, 0);
});

test('a symbolic link at the final path is refused with E_IO', async (t) => {
  const { server, dir } = await fixture(t);
  server.addFile('/linked.bin', { size: 10 * KiB });
  await symlink('/etc/hostname', join(dir, 'linked.bin'));
  const summary = await runJob(makeJob(dir, [{ url: server.url('/linked.bin'), ifExists: 'overwrite' }]));
  assert.equal(summary.files[0]?.error?.code, 'E_IO');
  assert.match(summary.files[0]?.error?.message ?? '', /symbolic link/);
  assert.equal(await readlink(join(dir, 'linked.bin')), '/etc/hostname');
});

/** Mounts a tmpfs of `size` on a new temp directory; undefined when this machine does not allow it. */
async function mountTmpfs(t: TestContext, size: string): Promise<string | undefined> {
  const mount = await mkdtemp(join(tmpdir(), 'pdl-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount], { stdio: 'pipe' });
  } catch {
    await rmdir(mount);
    return undefined;
  }
  t.after(async () => {
    execFileSync('umount', [mount], { stdio: 'pipe' });
    await rmdir(mount);
  });
  return mount;
}

test('a full disk fails the file with E_IO naming the path and ENOSPC; with room again the rerun resumes', async (t) => {
  const { server } = await fixture(t);
  const dir = await mountTmpfs(t, '2m');
  if (dir === undefined) return t.skip('cannot mount a tmpfs here (needs root)');
  // One connection at 1 MiB/s: progress is saved (every ~1 s) before the disk fills at ~2 MiB.
  server.addFile('/huge.bin', { size: 4 * MiB, throttle: 1 * MiB });
  const job = makeJob(dir, [{ url: server.url('/huge.bin'), connections: 1 }]);
  const first = await runJob(job);
  const failure = first.files[0]?.error;
  assert.equal(first.files[0]?.outcome, 'failed');
  assert.equal(failure?.code, 'E_IO');
  assert.ok(failure?.message.includes(join(dir, 'huge.bin')), failure?.message);
  assert.match(failure?.message ?? '', /ENOSPC/);
  assert.deepEqual((await readdir(dir)).sort(), ['huge.bin.part', 'huge.bin.pdl']);

  execFileSync('mount', ['-o', 'remount,size=16m', dir], { stdio: 'pipe' });
  server.reset();
  server.mutate('/huge.bin', { throttle: undefined });
  const events = new EngineEmitter();
  let resumedBytes = 0;
  events.on('file:start', (e) => (resumedBytes = e.resumedBytes));
  const second = await runJob(job, { events });
  assert.equal(second.files[0]?.outcome, 'resumed', JSON.stringify(second.files));
  await assertDownloaded(dir, 'huge.bin', server.file('/huge.bin').sha256);
  assert.ok(resumedBytes > 0);
  assert.ok(server.requests.every((r) => r.ifRange !== undefined && r.range !== 'bytes=0-'));
  assert.ok(server.stats.bytesServed <= 4 * MiB - resumedBytes, `served ${server.stats.bytesServed} bytes`);
});
