#!/usr/bin/env node
/**
 * Start-up cost of pdl builds, side by side: `node bench/startup.mjs [rounds] label=path/to/bin.js …` (STARTUP_SKIP: a
 * regex of scenarios to leave out).
 * Each round runs every scenario with every build, interleaved (A B A B …), under /usr/bin/time; `get` and `run`
 * fetch 1 KiB files from a server in this process, which notes when each child's first request arrives and how
 * much CPU the child had used by then (all its threads, from /proc/<pid>/task/<tid>/schedstat). Prints medians with
 * min–max. Wall times on a shared machine are noise: compare CPU, and before/after from the same run only.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 21;
const builds = args.map((arg) => {
  const at = arg.indexOf('=');
  if (at < 1) throw new Error(`expected label=path/to/bin.js, got ${arg}`);
  // Absolute: the commands run with a temporary folder as their working directory.
  return { label: arg.slice(0, at), bin: resolve(arg.slice(at + 1)) };
});
if (builds.length === 0) throw new Error('usage: node bench/startup.mjs [rounds] label=bin.js …');

const body = Buffer.alloc(1024, 7);
const sha256 = createHash('sha256').update(body).digest('hex');
/** The first request of each child, by the token in its URLs: [ms after spawn, CPU ms of the child by then]. */
const firstRequests = new Map();
const waiting = new Map();
const server = createServer((request, response) => {
  const token = request.url.split('/')[1];
  const child = waiting.get(token);
  if (child !== undefined && !firstRequests.has(token)) {
    if (child.pid === -1) child.pid = nodePidOf(child.timePid);
    firstRequests.set(token, [Number(process.hrtime.bigint() - child.startedAt) / 1e6, cpuMsOf(child.pid)]);
    // Only a known pid: process.kill(-1) would signal every process there is.
    if (child.stop && child.pid > 0) process.kill(child.pid, 'SIGKILL');
  }
  response.writeHead(200, { 'content-length': body.length });
  response.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const work = mkdtempSync(join(tmpdir(), 'pdl-startup-'));

/** The pid of the node process that /usr/bin/time (`timePid`) started, or -1 while there is none. */
function nodePidOf(timePid) {
  try {
    return Number(readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(' ')[0]) || -1;
  } catch {
    return -1;
  }
}

/** CPU ms of a process, all threads, from the scheduler's run-time counters (ns), or NaN once it is gone. */
function cpuMsOf(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

function jobFile(dir, token, count = 10) {
  const lines = ['version: 1', 'defaults:', `  dir: ${join(dir, 'run-out')}`, '  ifExists: overwrite', 'files:'];
  for (let i = 0; i < count; i++) lines.push(`  - url: ${base}/${token}/f${i}.bin`, `    checksum: sha256:${sha256}`);
  const path = join(dir, `job${count}.yaml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const scenarios = {
  'node -e 0': () => ['-e', '0'],
  '--version': (bin) => [bin, '--version'],
  '--help': (bin) => [bin, '--help'],
  'get 1 KiB': (bin, dir, token) => [bin, 'get', `${base}/${token}/one.bin`, '-o', join(dir, 'one.bin'), '--if-exists', 'overwrite'],
  'validate 10-file job': (bin, dir, token) => [bin, 'validate', jobFile(dir, token)],
  'run 10-file job': (bin, dir, token) => [bin, 'run', jobFile(dir, token)],
  'run 10,000-file job (to its first request)': (bin, dir, token) => [bin, 'run', jobFile(dir, token, 10_000)],
};
// STARTUP_SKIP: a regex of scenario names to leave out, e.g. '10,000' (the longest).
if (process.env.STARTUP_SKIP) for (const name of Object.keys(scenarios)) if (new RegExp(process.env.STARTUP_SKIP).test(name)) delete scenarios[name];
const fetching = new Set(['get 1 KiB', 'run 10-file job', 'run 10,000-file job (to its first request)']);
/** Killed at its first request: only the start-up is measured, not 10,000 downloads. */
const stopAtFirstRequest = new Set(['run 10,000-file job (to its first request)']);

let sequence = 0;
async function once(scenario, build) {
  const token = `t${++sequence}`;
  const dir = mkdtempSync(join(work, `${token}-`));
  const timeFile = join(dir, 'time');
  const argv = scenarios[scenario](build.bin, dir, token);
  const startedAt = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, ...argv], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // The pid that matters is node's, the child of /usr/bin/time.
  const entry = { startedAt, pid: -1, timePid: child.pid, stop: stopAtFirstRequest.has(scenario) };
  waiting.set(token, entry);
  const findNode = () => {
    if (entry.pid === -1) entry.pid = nodePidOf(child.pid);
    if (entry.pid === -1 && child.exitCode === null) setTimeout(findNode, 1);
  };
  findNode();
  const code = await new Promise((resolve) => child.on('close', resolve));
  waiting.delete(token);
  const first = firstRequests.get(token);
  if (entry.stop ? first?.[1] === undefined || Number.isNaN(first[1]) : code !== 0) throw new Error(`${build.label} ${scenario}: exit ${code}\n${stderr}`);
  const [wall, user, sys, rss] = entry.stop ? [] : readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  rmSync(dir, { recursive: true, force: true });
  return { wall: wall * 1000, cpu: (user + sys) * 1000, rss: rss / 1024, firstMs: first?.[0], firstCpu: first?.[1] };
}

const samples = new Map();
for (let round = 0; round < rounds; round++) {
  for (const scenario of Object.keys(scenarios)) {
    for (const build of scenario === 'node -e 0' ? [builds[0]] : builds) {
      const key = `${scenario === 'node -e 0' ? 'node' : build.label}\t${scenario}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(await once(scenario, build));
    }
  }
}
server.close();
rmSync(work, { recursive: true, force: true });

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)];
};
const show = (values, digits = 0) => {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '—';
  return `${median(finite).toFixed(digits)} (${Math.min(...finite).toFixed(digits)}–${Math.max(...finite).toFixed(digits)})`;
};
console.log(`${rounds} interleaved rounds; medians (min–max); ms unless stated; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| build | scenario | wall | CPU (user+sys) | peak RSS MiB | first request after | CPU before first request |');
console.log('|---|---|---|---|---|---|---|');
for (const [key, runs] of samples) {
  const [label, scenario] = key.split('\t');
  const fetches = fetching.has(scenario);
  console.log(
    `| ${label} | ${scenario} | ${show(runs.map((r) => r.wall))} | ${show(runs.map((r) => r.cpu))} | ${show(runs.map((r) => r.rss), 1)} | ` +
      `${fetches ? show(runs.map((r) => r.firstMs)) : ''} | ${fetches ? show(runs.map((r) => r.firstCpu)) : ''} |`,
  );
}
