import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { UsageError } from '../../src/errors.js';
import { RunLockedError } from '../../src/errors.js';
import { bullPriorities, fileJobId, queueNameOf } from '../../src/queue/identity.js';
import { parseQueueUrl, redact } from '../../src/queue/redis-url.js';
import { acquireRunLock } from '../../src/storage/run-lock.js';
import { makeJob, tempDir } from '../helpers/job.js';

test('queueNameOf: the same files in any order are one queue; another URL, path or checksum is another', () => {
  const files = makeJob('/a', [{ url: 'http://h/1' }, { url: 'http://h/2', relPath: 'x/2' }]).files;
  const name = queueNameOf(files);
  assert.match(name, /^pdl-[0-9a-f]{24}$/);
  assert.equal(queueNameOf([...files].reverse()), name);
  // Another output root (another mount point on another machine) is the same job.
  assert.equal(queueNameOf(makeJob('/elsewhere', [{ url: 'http://h/1' }, { url: 'http://h/2', relPath: 'x/2' }]).files), name);
  assert.notEqual(queueNameOf([files[0]!, { ...files[1]!, displayUrl: 'http://h/3' }]), name);
  assert.notEqual(queueNameOf([files[0]!, { ...files[1]!, relPath: 'y/2' }]), name);
  assert.notEqual(queueNameOf([files[0]!, { ...files[1]!, checksum: { algorithm: 'sha256', hex: 'ab' } }]), name);
  assert.equal(fileJobId('x/2'), fileJobId('x/2'));
  assert.doesNotMatch(fileJobId('a:b'), /:/);
});

test('bullPriorities: the highest pdl priority is BullMQ 1, never 0 (which BullMQ serves first)', () => {
  const files = makeJob('/a', [{ url: 'http://h/1', priority: 0 }, { url: 'http://h/2', priority: 10 }, { url: 'http://h/3', priority: -5 }, { url: 'http://h/4', priority: 10 }]).files;
  assert.deepEqual([...bullPriorities(files)], [[10, 1], [0, 2], [-5, 3]]);
});

test('parseQueueUrl: redis:// and rediss://, database, credentials from the environment first; redact masks passwords', () => {
  const plain = parseQueueUrl('redis://cache.internal:6380/3', {});
  assert.deepEqual(plain.options, { host: 'cache.internal', port: 6380, db: 3 });
  const tls = parseQueueUrl('rediss://u:p%40ss@h/0', {});
  assert.deepEqual(tls.options, { host: 'h', port: 6379, db: 0, password: 'p@ss', username: 'u', tls: { servername: 'h' } });
  assert.equal(tls.display, 'rediss://u:***@h/0');
  const env = parseQueueUrl('redis://h', { PDL_REDIS_PASSWORD: 'sesame', PDL_REDIS_USERNAME: 'pdl' });
  assert.equal(env.options.password, 'sesame');
  assert.equal(env.options.username, 'pdl');
  assert.equal(env.display, 'redis://h');
  assert.equal(redact('redis://:secret@h:1/0'), 'redis://:***@h:1/0');
  assert.equal(redact('redis://token@h'), 'redis://***@h');
  for (const bad of ['http://h', 'redis://h/x', 'not a url :secret@']) {
    assert.throws(() => parseQueueUrl(bad, {}), (error: unknown) => error instanceof UsageError && !error.message.includes('secret'), bad);
  }
});

test('run lock: workers of one queue join a live holder; a plain run or another queue is refused; a dead holder is taken over', async (t) => {
  const root = await tempDir(t);
  // A live process that is not us: our own pid never counts as a live holder.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => other.once('exit', resolve));
  t.after(() => other.kill('SIGKILL'));
  const info = { pid: other.pid!, startedAt: new Date(Date.now() - 1000), shared: 'pdl-q1' };
  const holder = await acquireRunLock(root, info);
  assert.equal(holder.held, true);
  const joined = await acquireRunLock(root, { pid: process.pid, startedAt: new Date(), shared: 'pdl-q1' });
  assert.equal(joined.held, false);
  await assert.rejects(acquireRunLock(root, { pid: process.pid, startedAt: new Date() }), RunLockedError);
  await assert.rejects(acquireRunLock(root, { pid: process.pid, startedAt: new Date(), shared: 'pdl-q2' }), RunLockedError);
  other.kill('SIGKILL');
  await exited;
  const taken = await acquireRunLock(root, { pid: process.pid, startedAt: new Date(), shared: 'pdl-q1' });
  assert.equal(taken.held, true);
  await taken.release();
});
