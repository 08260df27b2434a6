#!/usr/bin/env node
/**
 * Big job files (issue 12): how long `pdl run` takes to reach its first request on a generated N-file job, what
 * loading the job costs stage by stage, and the peak RSS of a whole run. After `npm run build`:
 *
 *   node bench/bigjob.mjs first [N=10000] [rounds=3]   spawn the CLI, stop it at the first request: wall and CPU-s
 *                                                        (utime+stime read from /proc at that moment) and peak RSS so far
 *   node bench/bigjob.mjs load [N=10000] [rounds=3]    in this process, CPU-s of each stage: full YAML parse, block-style
 *                                                        fast path, zod, plain-entry check, resolution, and the whole load
 *                                                        (rounds after the first run warm: round 1 is what a run pays)
 *   node bench/bigjob.mjs full [N=10000] [KiB=100]     the whole run to tmpfs under /usr/bin/time: wall, CPU, peak RSS
 *   node bench/bigjob.mjs gen [N=10000] <file>         just write the job file (against 127.0.0.1:1)
 *
 * BENCH_NODE_ARGS adds node flags to the CLI in `first` (e.g. `--cpu-prof`; pdl is then stopped with SIGINT).
 * BENCH_PDL overrides the CLI measured (default: this tree's dist/src/cli/bin.js). CPU-s and RSS are the robust
 * figures on a shared machine; wall time is reported but is noise under load.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.BENCH_PDL ?? join(root, 'dist/src/cli/bin.js');
const [mode = 'first', countArg, thirdArg] = process.argv.slice(2);
const count = Number(countArg ?? 10_000);
const TICKS = 100; // USER_HZ for /proc/<pid>/stat

/** The kind of job file a generator writes: url, path in one of 100 folders, sha256 of the served bytes. */
export function jobText(n, base, sha256) {
  const lines = ['version: 1', 'defaults:', '  dir: out', 'limits:', '  files: 16', 'files:'];
  for (let i = 0; i < n; i++) {
    const name = `f${String(i).padStart(6, '0')}.bin`;
    lines.push(`  - url: ${base}/f/${name}`, `    path: d${i % 100}/${name}`, `    checksum: sha256:${sha256}`);
  }
  return `${lines.join('\n')}\n`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
const fmt = (values, digits = 2) => `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

function serve(body) {
  const server = createServer((req, res) => {
    server.emit('first-request');
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpu, rssMiB: Number(hwm?.[1] ?? 0) / 1024 };
}

async function firstRequest(rounds) {
  const body = Buffer.alloc(1024, 7);
  const sha = createHash('sha256').update(body).digest('hex');
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const server = await serve(body);
    const work = mkdtempSync(join(tmpdir(), 'pdl-bigjob-'));
    const jobPath = join(work, 'job.yaml');
    writeFileSync(jobPath, jobText(count, `http://127.0.0.1:${server.address().port}`, sha));
    const started = process.hrtime.bigint();
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, cli, 'run', jobPath, '--reporter', 'json', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'], cwd: process.cwd() });
    const seen = await new Promise((ok, fail) => {
      server.once('first-request', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        ok({ ms, ...procStats(child.pid) });
        // SIGINT lets pdl stop cleanly (and --cpu-prof write its profile); the figures above were read already.
        child.kill(nodeArgs.length > 0 ? 'SIGINT' : 'SIGKILL');
      });
      child.once('exit', (code) => fail(new Error(`pdl exited (${code}) before any request`)));
    });
    await new Promise((ok) => (child.exitCode === null && child.signalCode === null ? child.once('exit', ok) : ok()));
    server.close();
    rmSync(work, { recursive: true, force: true });
    results.push(seen);
    console.log(`round ${r + 1}: first request after ${seen.ms.toFixed(0)} ms, ${seen.cpu.toFixed(2)} CPU-s, peak RSS ${seen.rssMiB.toFixed(0)} MiB`);
  }
  console.log(`first request, ${count} files, ${rounds} rounds (median (min–max)): wall ${fmt(results.map((x) => x.ms), 0)} ms; CPU ${fmt(results.map((x) => x.cpu))} s; RSS ${fmt(results.map((x) => x.rssMiB), 0)} MiB`);
}

async function loadStages(rounds) {
  const { parseYaml, quickYaml } = await import(join(root, 'dist/src/job/yaml.js'));
  const { jobSchema } = await import(join(root, 'dist/src/job/schema.js'));
  const { resolveJob } = await import(join(root, 'dist/src/job/resolve.js'));
  const plainEntries = await import(join(root, 'dist/src/job/plain-entries.js')).catch(() => undefined);
  // load.js had it before the loader's full path moved to parse-job.js.
  const { parseJobText } = await import(join(root, 'dist/src/job/parse-job.js')).catch(() => import(join(root, 'dist/src/job/load.js')));
  const { LineCounter } = await import('yaml');
  const text = jobText(count, 'http://127.0.0.1:1', '0'.repeat(64));
  const cpu = (f) => {
    const before = process.cpuUsage();
    const value = f();
    const used = process.cpuUsage(before);
    return { value, s: (used.user + used.system) / 1e6 };
  };
  const rows = { yaml: [], quick: [], schema: [], plain: [], resolve: [], whole: [] };
  for (let r = 0; r < rounds; r++) {
    const yaml = cpu(() => parseYaml(text, new LineCounter()));
    // The block-style fast path (quick-yaml.ts), where this build has it.
    const quick = quickYaml ? cpu(() => quickYaml(text)) : { s: NaN };
    const schema = cpu(() => jobSchema.safeParse(yaml.value.value, { reportInput: true }));
    // The schema fast path for plain entries (plain-entries.ts), where this build has it.
    const plain = plainEntries ? cpu(() => plainEntries.validatePlainJob(yaml.value.value)) : { s: NaN };
    const resolved = cpu(() => resolveJob(schema.value.data, { baseDir: '/tmp', env: {} }));
    if (!resolved.value.ok) throw new Error(JSON.stringify(resolved.value.issues.slice(0, 3)));
    const whole = cpu(() => parseJobText(text, { fileName: 'job.yaml', baseDir: '/tmp', env: {} }));
    rows.yaml.push(yaml.s);
    rows.quick.push(quick.s);
    rows.plain.push(plain.s);
    rows.schema.push(schema.s);
    rows.resolve.push(resolved.s);
    rows.whole.push(whole.s);
  }
  for (const [stage, values] of Object.entries(rows)) console.log(`${stage.padEnd(8)} ${fmt(values, 3)} CPU-s`);
  console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (${count} files, ${rounds} rounds)`);
}

async function fullRun(kib) {
  const body = Buffer.alloc(kib * 1024, 7);
  const sha = createHash('sha256').update(body).digest('hex');
  const server = await serve(body);
  const work = mkdtempSync(join(process.env.BENCH_TMPFS ?? '/dev/shm', 'pdl-bigjob-'));
  const jobPath = join(work, 'job.yaml');
  writeFileSync(jobPath, jobText(count, `http://127.0.0.1:${server.address().port}`, sha));
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, 'run', jobPath, '--reporter', 'json', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  const code = await new Promise((ok) => child.once('exit', ok));
  server.close();
  rmSync(work, { recursive: true, force: true });
  const [wall, user, sys, rss] = err.trim().split('\n').at(-1).split(' ').map(Number);
  console.log(`full run, ${count} × ${kib} KiB to tmpfs: exit ${code}, wall ${wall} s, CPU ${(user + sys).toFixed(2)} s, peak RSS ${(rss / 1024).toFixed(0)} MiB`);
  if (code !== 0) console.log(err);
}

if (mode === 'first') await firstRequest(Number(thirdArg ?? 3));
else if (mode === 'load') await loadStages(Number(thirdArg ?? 3));
else if (mode === 'full') await fullRun(Number(thirdArg ?? 100));
else if (mode === 'gen') writeFileSync(thirdArg ?? 'job.yaml', jobText(count, 'http://127.0.0.1:1', '0'.repeat(64)));
else throw new Error(`unknown mode ${mode}: first, load, full or gen`);
