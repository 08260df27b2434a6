/** The engine side of file claims: what a run decides once it holds a path, with other processes around it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineEmitter } from '../../src/engine/events.js';
import { fixture, KiB, run, sha256 } from '../helpers/engine.js';
import { makeJob } from '../helpers/job.js';

test('a file another process finished after the run listed its folder is judged as found, not downloaded over', async (t) => {
  const { server, dir } = await fixture(t);
  const first = server.addFile('/first.bin', { size: 256 * KiB, throttle: 512 * KiB });
  const second = server.addFile('/x.bin', { size: 64 * KiB });
  const job = makeJob(dir, [{ url: first, relPath: 'sub/first.bin' }, { url: second, relPath: 'sub/x.bin' }], { files: 1 });
  const events = new EngineEmitter();
  // sub/ was listed when first.bin was prepared; x.bin appears after that, as when a nested run finishes it.
  events.on('file:start', (e) => {
    if (e.path === 'sub/first.bin') writeFileSync(join(dir, 'sub', 'x.bin'), 'finished by another pdl process');
  });
  const { summary } = await run(job, {}, events);
  assert.equal(await readFile(join(dir, 'sub', 'x.bin'), 'utf8'), 'finished by another pdl process');
  assert.notEqual(summary.files.find((f) => f.path === 'sub/x.bin')?.outcome, 'downloaded');
  assert.deepEqual((await readdir(join(dir, 'sub'))).sort(), ['first.bin', 'x.bin']);
});

test('a .part with its control file left after the run listed the folder: the exclusive create finds it, and it is resumed', async (t) => {
  const { server, dir } = await fixture(t);
  const first = server.addFile('/first.bin', { size: 256 * KiB, throttle: 512 * KiB });
  const second = server.addFile('/x.bin', { size: 64 * KiB });
  const job = makeJob(dir, [{ url: first, relPath: 'sub/first.bin' }, { url: second, relPath: 'sub/x.bin' }], { files: 1 });
  const served = server.file('/x.bin');
  const events = new EngineEmitter();
  // sub/ was listed when first.bin was prepared; x.bin's .part and .pdl appear after that, as another pdl process
  // interrupted while holding the path would leave them.
  events.on('file:start', (e) => {
    if (e.path !== 'sub/first.bin') return;
    writeFileSync(join(dir, 'sub', 'x.bin.part'), Buffer.concat([served.bytes(0, 32 * KiB), Buffer.alloc(32 * KiB)]));
    const state = { format: 'pdl-resume', version: 1, url: second, size: 64 * KiB, etag: served.etag ?? null, lastModified: served.lastModified ?? null, ranges: true, done: [{ start: 0, end: 32 * KiB }], updatedAt: new Date().toISOString() };
    writeFileSync(join(dir, 'sub', 'x.bin.pdl'), `${JSON.stringify(state)}\n`);
  });
  const { summary, of } = await run(job, {}, events);
  const x = summary.files.find((f) => f.path === 'sub/x.bin');
  assert.equal(x?.outcome, 'resumed', JSON.stringify(summary.files));
  assert.equal(of('file:start').find((e) => e.path === 'sub/x.bin')?.resumedBytes, 32 * KiB);
  assert.equal(sha256(await readFile(join(dir, 'sub', 'x.bin'))), served.sha256);
  assert.deepEqual((await readdir(join(dir, 'sub'))).sort(), ['first.bin', 'x.bin']);
});
