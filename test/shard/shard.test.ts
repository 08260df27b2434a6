import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { parseShard, selectShard, shardFromEnv, shardOf } from '../../src/shard/shard.js';
import { makeJob } from '../helpers/job.js';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { fixture, KiB } from '../helpers/engine.js';

test('parseShard: i/n, 1-based; anything else is a usage error naming the flag', () => {
  assert.deepEqual(parseShard('1/1'), { index: 1, total: 1 });
  assert.deepEqual(parseShard('3/4'), { index: 3, total: 4 });
  for (const bad of ['0/4', '5/4', '1/0', '1', '/4', 'a/b', '-1/4', '1/4/2', '1.5/4', '']) {
    assert.throws(() => parseShard(bad), (error: unknown) => error instanceof UsageError && error.message.startsWith('--shard:'), bad);
  }
});

test('shardFromEnv: JOB_COMPLETION_INDEX is 0-based, the total from the flag or PDL_SHARD_TOTAL', () => {
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, '3'), { index: 1, total: 3 });
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '2', PDL_SHARD_TOTAL: '3' }, undefined), { index: 3, total: 3 });
  assert.deepEqual(shardFromEnv({ PDL_SHARD_INDEX: '1', PDL_SHARD_TOTAL: '2' }, undefined), { index: 2, total: 2 });
  assert.throws(() => shardFromEnv({}, '3'), /JOB_COMPLETION_INDEX/);
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, undefined), /--shard-total or PDL_SHARD_TOTAL/);
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3' }, '3'), /--shard: expected i\/n/);
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: 'x' }, '3'), /0-based whole number/);
});

test('shardOf: a fixed function of the path (pinned values), independent of order', () => {
  // Pinned: a change here would split one job differently on machines running different pdl versions.
  assert.equal(shardOf('a.bin', 1), 0);
  const expected = ['a.bin', 'b.bin', 'dir/c.iso'].map((path) => shardOf(path, 1000));
  assert.deepEqual(expected, [210, 673, 548]);
});

test('selectShard: n shards cover a job exactly once, for every n from 1 to 9', () => {
  const job = makeJob('/tmp/x', Array.from({ length: 500 }, (_, i) => ({ url: `http://127.0.0.1/f${i}`, relPath: `d${i % 7}/f${i}.bin` })));
  for (let total = 1; total <= 9; total++) {
    const seen = new Map<string, number>();
    const sizes: number[] = [];
    for (let index = 1; index <= total; index++) {
      const part = selectShard(job, { index, total }).files;
      sizes.push(part.length);
      for (const file of part) seen.set(file.relPath, (seen.get(file.relPath) ?? 0) + 1);
    }
    assert.equal(seen.size, 500, `n=${total}: every file in some shard`);
    assert.ok([...seen.values()].every((n) => n === 1), `n=${total}: no file twice`);
    // A hash spreads 500 files fairly evenly: no shard is empty or holds most of them.
    if (total > 1) assert.ok(Math.min(...sizes) > 0 && Math.max(...sizes) < 500 / total * 2, `n=${total}: ${sizes.join(',')}`);
  }
  const reversed = { ...job, files: [...job.files].reverse() };
  assert.deepEqual(selectShard(reversed, { index: 2, total: 3 }).files.map((f) => f.relPath).sort(), selectShard(job, { index: 2, total: 3 }).files.map((f) => f.relPath).sort());
});

test('pdl run --shard: three runs download every file once; --dry-run and pdl plan list the same shard', async (t) => {
  const { server, dir } = await fixture(t);
  const paths = server.addFiles('/s', 24, { size: 4 * KiB });
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\nfiles:\n${paths.map((p) => `  - ${server.url(p)}`).join('\n')}\n`);
  const planned = new Set<string>();
  for (let i = 1; i <= 3; i++) {
    const dry = await runCli(['run', job, '--shard', `${i}/3`, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = await runCli(['plan', job, '--shard-from-env', '--shard-total', '3'], { env: { JOB_COMPLETION_INDEX: String(i - 1) } });
    assert.equal(plan.code, 0, plan.stderr);
    const inPlan = [...plan.stdout.matchAll(/^download\s+(\S+)/gm)].map((m) => m[1]!);
    for (const path of inPlan) {
      assert.ok(dry.stdout.includes(path), `${path} of shard ${i} in the dry run too`);
      assert.ok(!planned.has(path), `${path} in one shard only`);
      planned.add(path);
    }
  }
  assert.equal(planned.size, 24);
  // `pdl plan` probes the servers; only what the runs fetch counts below.
  const before = server.requests.length;
  const bytesBefore = server.stats.bytesServed;
  for (let i = 1; i <= 3; i++) {
    const result = await runCli(['run', job, '--shard', `${i}/3`, '--reporter', 'plain']);
    assert.equal(result.code, 0, result.stderr);
    assertCleanStderr(result.stderr);
  }
  assert.equal(server.stats.bytesServed - bytesBefore, 24 * 4 * KiB);
  const gets = server.requests.slice(before).filter((request) => request.method === 'GET');
  for (const path of paths) assert.equal(gets.filter((request) => request.path === path).length, 1, `${path} fetched once`);
  const bad = await runCli(['run', job, '--shard', '4/3']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--shard: expected i\/n/);
});
