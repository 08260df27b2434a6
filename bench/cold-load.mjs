#!/usr/bin/env node
/**
 * Loading a big job file as `pdl run` does it, once per process (issue 12): the first run of the code is mostly
 * interpreted, so warmed loops (bench/bigjob.mjs load, rounds 2+) say little about it. Each of N fresh processes
 * imports the built modules of one or more trees and times, once, the block-style YAML fast path (quickYaml), the
 * plain-entry check (validatePlainJob) and resolution (resolveJob) of a generated job; medians of CPU and wall ms.
 *
 *   node bench/cold-load.mjs [files=10000] [processes=11] [dist …]   default dist: this tree's dist/
 *
 * Trees are interleaved process by process, so that a busy machine weighs on each alike.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [filesArg = '10000', processesArg = '11', ...dists] = process.argv.slice(2);
const trees = (dists.length > 0 ? dists : [join(root, 'dist')]).map((dist) => resolve(dist));
const work = mkdtempSync(join(tmpdir(), 'pdl-cold-load-'));
const jobPath = join(work, 'job.yaml');
execFileSync(process.execPath, [join(root, 'bench/bigjob.mjs'), 'gen', filesArg, jobPath]);

const child = (dist) => `
const { readFileSync } = await import('node:fs');
const module = (name) => import(${JSON.stringify(pathToFileURL(dist).href)} + '/src/job/' + name);
const { quickYaml } = await module('yaml-budget.js');
const { validatePlainJob } = await module('plain-entries.js');
const { resolveJob } = await module('resolve.js');
const text = readFileSync(${JSON.stringify(jobPath)}, 'utf8');
const times = [];
const timed = (run) => {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const value = run();
  const used = process.cpuUsage(cpu);
  times.push([(used.user + used.system) / 1000, performance.now() - wall]);
  return value;
};
const quick = timed(() => quickYaml(text));
const valid = timed(() => validatePlainJob(quick.value));
const outcome = timed(() => resolveJob(valid.data, { baseDir: ${JSON.stringify(work)}, env: {}, expandEnv: true }));
if (!outcome.ok || outcome.job.files.length !== ${Number(filesArg)}) throw new Error('the job did not resolve');
console.log(JSON.stringify(times));
`;

const rows = trees.map(() => []);
for (let round = 0; round < Number(processesArg); round++) {
  trees.forEach((dist, i) => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', child(dist)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    rows[i].push(JSON.parse(output));
  });
}
rmSync(work, { recursive: true, force: true });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const stages = ['quickYaml', 'validatePlainJob', 'resolveJob'];
trees.forEach((dist, i) => {
  const cells = stages.map((stage, s) => `${stage} ${median(rows[i].map((r) => r[s][0])).toFixed(1)} CPU / ${median(rows[i].map((r) => r[s][1])).toFixed(1)} wall`);
  console.log(`${dist}: ${cells.join(', ')} (ms, medians of ${processesArg} processes)`);
});
