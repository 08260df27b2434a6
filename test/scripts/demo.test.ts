/** `npm run demo` works offline and leaves nothing behind in the temp folder (unless asked to keep it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('../../scripts/demo.js', import.meta.url));

function runDemo(args: string[], tmp: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [demo, ...args], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

test('the demo downloads its job, reports the one missing file, and removes its temp folder', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'pdl-demo-test-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const { stdout } = await runDemo([], tmp);
  assert.match(stdout, /Removed .*pdl-demo-/);
  assert.deepEqual(await readdir(tmp), [], 'nothing left in the temp folder');
});

test('the demo with --keep leaves its folder and says how to remove it', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'pdl-demo-test-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const { stdout } = await runDemo(['--keep'], tmp);
  const left = await readdir(tmp);
  assert.equal(left.length, 1);
  assert.match(left[0]!, /^pdl-demo-/);
  assert.match(stdout, /rm -rf /);
});
