import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, lstat, readFile, readdir, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileClaimedError } from '../../src/errors.js';
import { claimFile, claimPathOf } from '../../src/storage/file-claim.js';
import { tempDir } from '../helpers/job.js';
import { releaseIdleTemplates } from '../../src/storage/file-claim.js';

/** The folder as a run leaves it: templates no claim uses are removed as it ends (claim-template.ts, GRACE_MS). */
async function settledReaddir(dir: string): Promise<string[]> {
  await releaseIdleTemplates();
  return readdir(dir);
}

const TEMPLATE = /^\.pdl-claim\.\d+\.[0-9a-f]{12}$/;

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.on('close', resolve));
  return pid;
}

const templatesIn = async (dir: string) => (await settledReaddir(dir)).filter((name) => TEMPLATE.test(name));

test('claims in one folder are links of one template naming this process; the template goes with the last release', async (t) => {
  const dir = await tempDir(t);
  const a = await claimFile(join(dir, 'a.bin'));
  const b = await claimFile(join(dir, 'b.bin'));
  const [template] = await templatesIn(dir);
  assert.ok(template, 'a template beside the claims');
  const [sa, sb, st] = await Promise.all([lstat(a.path), lstat(b.path), lstat(join(dir, template))]);
  assert.equal(sa.ino, st.ino);
  assert.equal(sb.ino, st.ino);
  assert.equal(st.nlink, 3);
  const content = JSON.parse(await readFile(a.path, 'utf8')) as Record<string, unknown>;
  assert.equal(content.pid, process.pid);
  assert.equal(content.template, template);
  await a.release();
  assert.deepEqual((await settledReaddir(dir)).sort(), [template, 'b.bin.pdl-claim'].sort(), 'the template stays while a claim is held');
  await b.release();
  assert.deepEqual(await settledReaddir(dir), [], 'nothing left');
});

test('a template deleted under a held claim: the next claim is a file of its own, still exclusive', async (t) => {
  const dir = await tempDir(t);
  const a = await claimFile(join(dir, 'a.bin'));
  const [template] = await templatesIn(dir);
  await unlink(join(dir, template!));
  const b = await claimFile(join(dir, 'b.bin'));
  assert.notEqual((await lstat(b.path)).ino, (await lstat(a.path)).ino);
  await assert.rejects(claimFile(join(dir, 'b.bin')), FileClaimedError);
  await a.release();
  await b.release();
  assert.deepEqual((await settledReaddir(dir)).filter((name) => !TEMPLATE.test(name)), []);
  const c = await claimFile(join(dir, 'c.bin'));
  assert.equal((await templatesIn(dir)).length, 1, 'a new template once the folder has no claim left');
  await c.release();
  assert.deepEqual(await settledReaddir(dir), []);
});

test("a dead process's claims by link are taken over, and its template goes with the first", async (t) => {
  const dir = await tempDir(t);
  const name = '.pdl-claim.4242.0123456789ab';
  const record = { format: 'pdl-file-claim', pid: await deadPid(), hostname: hostname(), since: new Date().toISOString(), token: 'dead', template: name };
  await writeFile(join(dir, name), JSON.stringify(record));
  await link(join(dir, name), claimPathOf(join(dir, 'x.bin')));
  await link(join(dir, name), claimPathOf(join(dir, 'y.bin')));
  const x = await claimFile(join(dir, 'x.bin'));
  assert.equal((JSON.parse(await readFile(x.path, 'utf8')) as { pid: number }).pid, process.pid);
  assert.ok(!(await settledReaddir(dir)).includes(name), 'the dead template is gone');
  const y = await claimFile(join(dir, 'y.bin'));
  await x.release();
  await y.release();
  assert.deepEqual(await settledReaddir(dir), []);
});

test('a stale claim naming a template that is another file: that file is left alone', async (t) => {
  const dir = await tempDir(t);
  const name = '.pdl-claim.4242.0123456789ab';
  await writeFile(join(dir, name), 'not the claim');
  const record = { format: 'pdl-file-claim', pid: await deadPid(), hostname: hostname(), since: new Date().toISOString(), token: 'dead', template: name };
  await writeFile(claimPathOf(join(dir, 'x.bin')), JSON.stringify(record));
  const old = new Date(Date.now() - 120_000);
  await utimes(claimPathOf(join(dir, 'x.bin')), old, old);
  const x = await claimFile(join(dir, 'x.bin'));
  await x.release();
  assert.deepEqual(await settledReaddir(dir), [name]);
  assert.equal(await readFile(join(dir, name), 'utf8'), 'not the claim');
});

test('a claim of ours that no call holds (its release failed) is stale, and our template stays', async (t) => {
  const dir = await tempDir(t);
  const a = await claimFile(join(dir, 'a.bin'));
  const [template] = await templatesIn(dir);
  // What a release that could not unlink leaves: a link to our live template that nothing of ours holds.
  await link(join(dir, template!), claimPathOf(join(dir, 'x.bin')));
  const x = await claimFile(join(dir, 'x.bin'));
  assert.deepEqual(await templatesIn(dir), [template]);
  await x.release();
  await a.release();
  assert.deepEqual(await settledReaddir(dir), []);
});

test('a folder whose claims come one after another keeps one template for the next claim, removed once idle at the end', async (t) => {
  const dir = await tempDir(t);
  const names = new Set<string>();
  for (const file of ['a.bin', 'b.bin', 'c.bin']) {
    const claim = await claimFile(join(dir, file));
    for (const name of await readdir(dir)) if (TEMPLATE.test(name)) names.add(name);
    await claim.release();
  }
  assert.equal(names.size, 1, `one template for three claims in a row, not one each: ${[...names].join(', ')}`);
  assert.deepEqual((await readdir(dir)).filter((name) => !TEMPLATE.test(name)), [], 'every claim released');
  await releaseIdleTemplates();
  assert.deepEqual(await readdir(dir), [], 'the idle template goes when the run ends');
});

test("a dead process's template that no claim names (killed while it waited) is removed by the next process to claim there; others stay", async (t) => {
  const dir = await tempDir(t);
  const dead = '.pdl-claim.4243.0123456789ab';
  const record = { format: 'pdl-file-claim', pid: await deadPid(), hostname: hostname(), since: new Date().toISOString(), token: 'dead', template: dead };
  await writeFile(join(dir, dead), JSON.stringify(record));
  // Not a template of pdl's making (the name does not match): never touched.
  await writeFile(join(dir, '.pdl-claim.note'), 'mine');
  const claim = await claimFile(join(dir, 'x.bin'));
  const deadline = Date.now() + 5_000;
  while ((await readdir(dir)).includes(dead) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(!(await readdir(dir)).includes(dead), 'the dead template is gone');
  await claim.release();
  assert.deepEqual(await settledReaddir(dir), ['.pdl-claim.note']);
});
