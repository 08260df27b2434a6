import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumMismatchError, LocalIOError } from '../../src/errors.js';
import type { ChecksumAlgorithm } from '../../src/job/resolved.js';
import { PartFile } from '../../src/storage/part-file.js';
import { closeHashService, hashFile, hashService, verifyDigests } from '../../src/verify/checksum.js';

const ALL: ChecksumAlgorithm[] = ['sha256', 'sha512', 'sha1', 'md5'];

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pdl-hash-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function expected(data: Buffer, algorithms = ALL): Record<string, string> {
  return Object.fromEntries(algorithms.map((alg) => [alg, createHash(alg).update(data).digest('hex')]));
}

test('a file written out of order, hashed as its prefix grows, matches crypto for every algorithm', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f.part');
    // Not a multiple of the worker's 1 MiB chunk, so chunk edges fall inside blocks.
    const data = pattern(5 * 1024 * 1024 + 77_777, 7);
    const blockSize = 300_001;
    const blocks = Array.from({ length: Math.ceil(data.length / blockSize) }, (_, i) => i);
    // A fixed shuffle: even blocks backwards, then odd blocks forwards.
    const order = [...blocks.filter((i) => i % 2 === 0).reverse(), ...blocks.filter((i) => i % 2 === 1)];

    const part = await PartFile.create(path, data.length);
    const job = hashService.open(path, ALL);
    const written = new Set<number>();
    let prefixBlocks = 0;
    for (const i of order) {
      const start = i * blockSize;
      const end = Math.min(data.length, start + blockSize);
      await part.write(data.subarray(start), end - start, start);
      written.add(i);
      while (written.has(prefixBlocks)) prefixBlocks++;
      job.advance(Math.min(data.length, prefixBlocks * blockSize));
    }
    await part.close();
    assert.deepEqual(await job.finish(data.length), expected(data));
  }));

test('fifty concurrent jobs, including an empty file, each get their own digests', () =>
  withTemp(async (dir) => {
    const files = Array.from({ length: 50 }, (_, i) => ({ path: join(dir, `f${i}`), data: pattern(i * 4099, i + 1) }));
    await Promise.all(files.map((f) => writeFile(f.path, f.data)));
    const jobs = files.map((f) => hashService.open(f.path, ['sha256', 'md5']));
    // Advance in two steps, interleaved across jobs.
    files.forEach((f, i) => jobs[i]!.advance(Math.floor(f.data.length / 2)));
    const results = await Promise.all(files.map((f, i) => jobs[i]!.finish(f.data.length)));
    results.forEach((digests, i) => assert.deepEqual(digests, expected(files[i]!.data, ['sha256', 'md5'])));
  }));

test('hashFile hashes a whole existing file', () =>
  withTemp(async (dir) => {
    const data = pattern(2 * 1024 * 1024 + 3, 11);
    await writeFile(join(dir, 'f'), data);
    assert.deepEqual(await hashFile(join(dir, 'f'), ['sha1', 'sha1']), expected(data, ['sha1']));
    await assert.rejects(hashFile(join(dir, 'missing'), ['sha1']), /cannot hash .*missing: no such file or directory/);
  }));

test('advancing past the end of the file rejects finish with LocalIOError', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'short');
    await writeFile(path, pattern(1000, 2));
    const job = hashService.open(path, ['sha256']);
    job.advance(1500);
    await assert.rejects(job.finish(1500), (error: unknown) => {
      assert.ok(error instanceof LocalIOError);
      assert.equal(error.path, path);
      assert.match(error.message, /ends at 1000 bytes, but 1500 were reported written/);
      return true;
    });
  }));

test('finishing at a size smaller than an earlier advance is an error', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f');
    await writeFile(path, pattern(1000, 2));
    const job = hashService.open(path, ['sha256']);
    job.advance(1000);
    await assert.rejects(job.finish(500), /final size is 500/);
  }));

test('a file that does not exist rejects finish, even when the error arrives first', () =>
  withTemp(async (dir) => {
    const job = hashService.open(join(dir, 'nope'), ['md5']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(job.finish(10), /no such file or directory \(ENOENT\)/);
  }));

test('abort forgets the job: the file may go, finish rejects, other jobs carry on', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f');
    await writeFile(path, pattern(3 * 1024 * 1024, 5));
    const job = hashService.open(path, ['sha512']);
    job.advance(1024 * 1024);
    job.abort();
    job.advance(3 * 1024 * 1024);
    await unlink(path);
    await assert.rejects(job.finish(3 * 1024 * 1024), /aborted/);

    const data = pattern(1000, 9);
    await writeFile(join(dir, 'g'), data);
    assert.deepEqual(await hashFile(join(dir, 'g'), ['sha512']), expected(data, ['sha512']));
  }));

test('aborting while finish is awaited rejects it', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f');
    await writeFile(path, pattern(1000, 5));
    const job = hashService.open(path, ['sha256']);
    const finishing = job.finish(2000); // never reachable: only 1000 bytes are reported
    job.abort();
    await assert.rejects(finishing, /aborted/);
  }));

test('closeHashService fails pending jobs; the next job starts a fresh worker', () =>
  withTemp(async (dir) => {
    const path = join(dir, 'f');
    const data = pattern(4096, 4);
    await writeFile(path, data);
    const job = hashService.open(path, ['sha256']);
    job.advance(100);
    const pending = hashService.open(path, ['sha256']).finish(data.length + 1); // waits for bytes that never come
    const unfinished = assert.rejects(pending, /closed/);
    await closeHashService();
    await unfinished;
    await assert.rejects(job.finish(data.length), /closed/);
    assert.deepEqual(await hashFile(path, ['sha256']), expected(data, ['sha256']));
  }));

test('verifyDigests: matches pass (hex case-insensitive), the first mismatch throws with its source', () => {
  const actual = { sha256: 'ab'.repeat(32), md5: 'cd'.repeat(16) };
  verifyDigests(actual, [{ algorithm: 'sha256', hex: 'AB'.repeat(32), source: 'checksum' }]);
  verifyDigests(actual, []);

  const cases: Array<[string, Parameters<typeof verifyDigests>[1], string]> = [
    ['sha256 wrong', [{ algorithm: 'sha256', hex: '00'.repeat(32), source: 'checksum' }], 'checksum mismatch: expected sha256:' + '00'.repeat(32)],
    [
      'first of two',
      [
        { algorithm: 'md5', hex: 'EE'.repeat(16), source: 'Repr-Digest' },
        { algorithm: 'sha256', hex: '00'.repeat(32), source: 'checksum' },
      ],
      `Repr-Digest mismatch: expected md5:${'ee'.repeat(16)}, got md5:${'cd'.repeat(16)}`,
    ],
  ];
  for (const [name, list, message] of cases) {
    assert.throws(
      () => verifyDigests(actual, list, { url: 'https://x/***', path: '/out/f' }),
      (error: unknown) => {
        assert.ok(error instanceof ChecksumMismatchError, name);
        assert.ok(error.message.startsWith(message), `${name}: ${error.message}`);
        assert.equal(error.url, 'https://x/***');
        assert.equal(error.path, '/out/f');
        return true;
      },
    );
  }
  assert.throws(() => verifyDigests(actual, [{ algorithm: 'sha1', hex: '00', source: 'checksum' }]), /no sha1 digest/);
});

/** Run an ES module script in a child node; resolve with its exit code (or a timeout note) and output. */
async function runChild(script: string): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timed out: the child was kept alive');
    }, 10_000);
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer);
      resolve(exitCode ?? String(signal));
    });
  });
  return { code, stdout, stderr };
}

test('the worker never keeps the process alive, yet a lone awaited finish() completes', () =>
  withTemp(async (dir) => {
    const data = pattern(100_000, 3);
    await writeFile(join(dir, 'a'), data);
    await writeFile(join(dir, 'b'), data);
    const moduleUrl = JSON.stringify(new URL('../../src/verify/checksum.js', import.meta.url).href);
    const a = JSON.stringify(join(dir, 'a'));
    const b = JSON.stringify(join(dir, 'b'));
    const digest = createHash('sha256').update(data).digest('hex');
    // closeHashService is never called; some jobs are opened and left unfinished on purpose.
    const cases: Array<[string, string, string]> = [
      ['open only', `hashService.open(${a}, ['sha256']).advance(10); process.stdout.write('opened');`, 'opened'],
      [
        'open, then finish another',
        `hashService.open(${a}, ['sha256']).advance(10);
         const d = await hashService.open(${b}, ['sha256']).finish(${data.length});
         process.stdout.write(d.sha256);`,
        digest,
      ],
      [
        'finish, then open another',
        `const d = await hashService.open(${b}, ['sha256']).finish(${data.length});
         hashService.open(${a}, ['sha256']).advance(10);
         process.stdout.write(d.sha256);`,
        digest,
      ],
    ];
    for (const [name, body, output] of cases) {
      const { code, stdout, stderr } = await runChild(`import { hashService } from ${moduleUrl};\n${body}`);
      assert.equal(code, 0, `${name}: ${stderr}`);
      assert.equal(stdout, output, name);
    }
  }));
