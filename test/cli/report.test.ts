import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCleanStderr, runCli, startCli, until, controlSaysProgress } from '../helpers/cli.js';
import { fixture, KiB, MiB } from '../helpers/engine.js';
import type { RunReport } from '../../src/report/run-report.js';

/** The output folder's files, sorted: hidden ones other than the run lock (state of other features) are left out. */
const listing = async (dir: string) => (await readdir(dir)).filter((name) => !name.startsWith('.') || name === '.pdl-run.lock').sort();



/** A temp dir with a job listing `entries`, and a folder for reports. */
async function setup(t: Parameters<typeof fixture>[0], entries: (server: Awaited<ReturnType<typeof fixture>>['server']) => string[]) {
  const { server, dir } = await fixture(t);
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\n  retries: 0\n  connections: 1\nfiles:\n${entries(server).join('\n')}\n`);
  const reports = join(dir, 'reports');
  await mkdir(reports);
  const readReport = async () => {
    assert.deepEqual(await readdir(reports), ['last.json'], 'only the report, no temp file');
    return JSON.parse(await readFile(join(reports, 'last.json'), 'utf8')) as RunReport;
  };
  return { server, dir, job, report: join(reports, 'last.json'), readReport };
}

const SECRET = 's3cr3t-t0ken';

test('--report on success and on failure: statuses, sizes, digests, error codes, exit code; never a secret', async (t) => {
  const { server, job, report, readReport } = await setup(t, (server) => [
    `  - url: ${server.addFile('/a.bin', { size: 3000 })}?key=\${TOKEN}`,
    // sha256 is reported when pdl computed one: for a sha256 checksum or a server digest.
    `    checksum: sha256:${server.file('/a.bin').sha256}`,
    `    headers: { Authorization: "Bearer \${TOKEN}" }`,
    `  - url: ${server.url('/missing.bin')}?key=\${TOKEN}`,
    `    headers: { Authorization: "Bearer \${TOKEN}" }`,
  ]);
  const env = { TOKEN: SECRET };

  const failed = await runCli(['run', job, '--report', report, '--reporter', 'plain'], { env });
  assert.equal(failed.code, 4, failed.stdout + failed.stderr);
  assert.equal(server.requests[0]?.headers.authorization, `Bearer ${SECRET}`, 'the secret was really used');
  const text = await readFile(report, 'utf8');
  assert.ok(!text.includes(SECRET), 'the expanded secret never appears in the report');
  const first = await readReport();
  assert.equal(first.version, 1);
  assert.equal(first.job, job);
  assert.equal(first.exitCode, 4);
  assert.equal(first.stopped, null);
  assert.equal(first.error, null);
  assert.ok(Date.parse(first.startedAt) <= Date.parse(first.finishedAt));
  assert.deepEqual({ ...first.totals, elapsedMs: 0 }, { done: 1, skipped: 0, unchanged: 0, failed: 1, interrupted: 0, transferred: 3000, elapsedMs: 0 });
  const [a, missing] = first.files;
  assert.deepEqual({ ...a!, elapsedMs: 0 }, {
    path: 'a.bin',
    url: `${server.url('/a.bin')}?key=\${TOKEN}`,
    status: 'downloaded',
    size: 3000,
    completedBytes: 3000,
    transferred: 3000,
    elapsedMs: 0,
    sha256: server.file('/a.bin').sha256,
    error: null,
  });
  assert.equal(missing?.status, 'failed');
  assert.equal(missing?.size, null);
  assert.equal(missing?.sha256, null);
  assert.equal(missing?.error?.code, 'E_HTTP_STATUS');
  assert.match(missing?.error?.message ?? '', /HTTP 404/);

  // A rerun replaces the report: the complete file is skipped this time.
  server.addFile('/missing.bin', { size: 10 });
  const ok = await runCli(['run', job, '--report', report, '--reporter', 'plain'], { env });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const second = await readReport();
  assert.equal(second.exitCode, 0);
  assert.deepEqual(second.files.map((f) => [f.path, f.status]), [['a.bin', 'skipped'], ['missing.bin', 'downloaded']]);
  assert.ok(!(await readFile(report, 'utf8')).includes(SECRET));
});

test('--report after SIGINT: files interrupted, stopped SIGINT, exit 130', async (t) => {
  const { dir, job, report, readReport } = await setup(t, (server) => [`  - ${server.addFile('/slow.bin', { size: 4 * MiB, throttle: 256 * KiB })}`]);
  const run = startCli(['run', job, '--report', report, '--reporter', 'plain']);
  await until(controlSaysProgress(join(dir, 'out', 'slow.bin.pdl')));
  run.child.kill('SIGINT');
  const result = await run.result;
  assert.equal(result.code, 130, result.stdout + result.stderr);
  assertCleanStderr(result.stderr);
  const written = await readReport();
  assert.equal(written.stopped, 'SIGINT');
  assert.equal(written.exitCode, 130);
  assert.equal(written.totals.interrupted, 1);
  assert.equal(written.files[0]?.status, 'interrupted');
  assert.ok((written.files[0]?.transferred ?? 0) > 0);
});

test('--max-runtime stops like SIGINT with exit 8 (state saved, report says max-runtime); a rerun without it resumes', async (t) => {
  const { server, dir, job, report, readReport } = await setup(t, (server) => [`  - ${server.addFile('/slow.bin', { size: 4 * MiB, throttle: 256 * KiB })}`]);
  const out = join(dir, 'out');
  const stopped = await runCli(['run', job, '--max-runtime', '500ms', '--report', report, '--reporter', 'plain'], { timeoutMs: 15_000 });
  assert.equal(stopped.code, 8, stopped.stdout + stopped.stderr);
  assertCleanStderr(stopped.stderr);
  assert.match(stopped.stdout, /stopped by max-runtime/);
  assert.match(stopped.stdout, /run the same command again to resume/);
  assert.deepEqual(await listing(out), ['slow.bin.part', 'slow.bin.pdl']);
  const first = await readReport();
  assert.equal(first.stopped, 'max-runtime');
  assert.equal(first.exitCode, 8);
  assert.equal(first.files[0]?.status, 'interrupted');

  server.mutate('/slow.bin', { throttle: undefined });
  const rerun = await runCli(['run', job, '--report', report, '--reporter', 'plain']);
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  const second = await readReport();
  assert.equal(second.files[0]?.status, 'resumed');
  assert.ok((second.files[0]?.transferred ?? 0) < 4 * MiB, 'only the missing bytes were fetched');
  assert.deepEqual(await listing(out), ['slow.bin']);
});

test('--max-runtime and --report usage errors exit 2 before any network', async (t) => {
  const { server, dir, job } = await setup(t, (server) => [`  - ${server.addFile('/a.bin', { size: 10 })}`]);
  const cases: Array<[string[], RegExp]> = [
    [['--max-runtime', 'soon'], /--max-runtime: expected a duration/],
    [['--max-runtime', '0'], /--max-runtime: expected a duration above 0/],
    [['--max-runtime', '600h'], /--max-runtime: expected a duration above 0 and at most 24 days, got "600h"/],
    [['--report', join(dir, 'nope', 'r.json')], /--report: .*nope is not an existing folder/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(['run', job, ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
  assert.equal(server.requests.length, 0);
});
