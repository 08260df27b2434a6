/** A download larger than the disk: the failure (exit 6) gives the space back or leaves a resumable pair. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rmdir, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { assertCleanStderr, runCli } from '../helpers/cli.js';

const MiB = 1024 * 1024;

test('ENOSPC on a 1 MiB tmpfs: exit 6, no .part without its control file, the free space is back', async (t) => {
  const server = await startFixtureServer();
  t.after(() => server.close());
  // Tests run as root (see RULES): a failing mount is a failing test, not a skipped one.
  const mount = await mkdtemp(join(tmpdir(), 'pdl-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { stdio: 'pipe' });
  t.after(async () => {
    execFileSync('umount', [mount], { stdio: 'pipe' });
    await rmdir(mount);
  });
  const before = (await statfs(mount)).bfree;
  const url = server.addFile('/big.bin', { size: 4 * MiB });

  for (const connections of ['1', '4']) {
    const result = await runCli(['get', '-c', connections, '--min-split-size', '64KiB', '-o', join(mount, 'big.bin'), url]);
    assert.equal(result.code, 6, `-c ${connections}: ${result.stderr}${result.stdout}`);
    assert.match(result.stderr + result.stdout, /ENOSPC|no space left/);
    assertCleanStderr(result.stderr);
    const names = (await readdir(mount)).sort();
    assert.ok(!names.includes('big.bin'), 'never presented as complete');
    if (names.includes('big.bin.part')) assert.ok(names.includes('big.bin.pdl'), `-c ${connections}: a .part without its control file: ${names.join(', ')}`);
    assert.deepEqual(names.filter((name) => name !== 'big.bin.part' && name !== 'big.bin.pdl'), [], 'nothing else left behind');
    if (!names.includes('big.bin.part')) assert.equal((await statfs(mount)).bfree, before, 'the free space is back');
    // Next round starts from an empty disk.
    execFileSync('sh', ['-c', `rm -f '${mount}'/*`]);
  }
});
