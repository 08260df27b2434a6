/**
 * What the binary loads before it does anything: `--version` and `--help` need only the bin's own few modules, a
 * command loads the bundled CLI without the packages that only sftp://, ftp:// or --queue use, and a plain job or
 * `pdl get` without zod and yaml, which only a job with a problem or an unusual form needs. Checked by what is
 * loaded, never by time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assertCleanStderr, runCli } from '../helpers/cli.js';
import { fixture, KiB, sha256 } from '../helpers/engine.js';
import { tempDir } from '../helpers/job.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The modules the binary may load before it loads the bundle: nothing else may be needed for --version or --help. */
const BIN_MODULES = ['src/cli/bin.js', 'src/cli/quick-answer.js', 'src/cli/io.js', 'src/cli/main-help.js', 'src/exit-codes.js'];

test('--version, -V, --help, -h and no arguments are answered by the bin alone; a command without the bundle says so in one line', async (t) => {
  const copy = await tempDir(t);
  for (const path of BIN_MODULES) {
    await mkdir(dirname(join(copy, 'dist', path)), { recursive: true });
    await copyFile(join(ROOT, 'dist', path), join(copy, 'dist', path));
  }
  await copyFile(join(ROOT, 'package.json'), join(copy, 'package.json'));
  const bin = join(copy, 'dist', 'src', 'cli', 'bin.js');
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

  for (const flag of ['--version', '-V', 'version']) {
    const result = await runCli([flag], { bin });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `pdl ${version}\n`);
  }
  const full = await runCli(['--help']);
  for (const flag of ['--help', '-h', 'help']) {
    const result = await runCli([flag], { bin });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage:\n {2}pdl run <job\.yaml> \[options\]/m);
    assert.equal(result.stdout, full.stdout, 'the same text as the full build');
  }
  const none = await runCli([], { bin });
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^Usage:/m);

  const command = await runCli(['validate', 'jobs.yaml'], { bin, cwd: copy });
  assert.equal(command.code, 1);
  assertCleanStderr(command.stderr);
  assert.match(command.stderr, /^pdl: internal error: the bundled CLI is missing \(.*dist\/bundle\/cli\/pdl\.js\); run 'npm run build'\n$/);
});

test('pdl get and pdl run without --queue load neither bullmq nor ioredis, and take undici from the bundle', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/a.bin', { size: 100 * KiB });
  // Lists, at exit, every CommonJS module the process loaded through require (as http/agent.ts loads undici in dist/src).
  const recorder = join(dir, 'record-loads.cjs');
  await writeFile(
    recorder,
    "const { isMainThread } = require('node:worker_threads');\n" +
      "if (isMainThread) process.on('exit', () => require('node:fs').writeFileSync(process.env.PDL_TEST_LOADS, Object.keys(require.cache).join('\\n')));\n",
  );
  const esRecorder = await recordModuleLoads(dir);
  const job = join(dir, 'jobs.yaml');
  await writeFile(job, `version: 1\ndefaults:\n  dir: ./out\nfiles:\n  - ${url}\n`);

  for (const [name, args] of [
    ['run', ['run', job]],
    ['get', ['get', url, '-o', join(dir, 'got.bin')]],
  ] as const) {
    const loads = join(dir, `${name}.loads`);
    const esLoads = join(dir, `${name}.es-loads`);
    const env = { NODE_OPTIONS: `--require ${recorder} ${esRecorder.NODE_OPTIONS}`, PDL_TEST_LOADS: loads, PDL_TEST_ES_LOADS: esLoads };
    const result = await runCli([...args], { env });
    assert.equal(result.code, 0, result.stderr);
    assertCleanStderr(result.stderr);
    const required = (await readFile(loads, 'utf8')).split('\n');
    const imported = (await readFile(esLoads, 'utf8')).split('\n');
    assert.ok(required.some((path) => path.endsWith('record-loads.cjs')), `${name}: the require recorder ran`);
    assert.ok(imported.some((href) => href.endsWith('/dist/bundle/cli/pdl.js')), `${name}: the import recorder saw the bundle load`);
    // A package the bundle imports (bullmq, when --queue is given) is imported; one http/agent.ts requires, required.
    assert.deepEqual([...required, ...imported].filter((path) => /\/node_modules\/(bullmq|ioredis)\//.test(path)), [], `${name} loaded the queue's packages`);
    assert.deepEqual([...required, ...imported].filter((path) => path.includes('/node_modules/undici/')), [], `${name} loaded undici from node_modules, not the bundle`);
  }
  assert.equal(sha256(await readFile(join(dir, 'out', 'a.bin'))), server.file('/a.bin').sha256);
  assert.equal(sha256(await readFile(join(dir, 'got.bin'))), server.file('/a.bin').sha256);
});

/** Every ES module the process loads, recorded by a module hook (the bundle's chunks are ES modules). */
async function recordModuleLoads(dir: string): Promise<Record<string, string>> {
  const hooks = join(dir, 'record-hooks.mjs');
  await writeFile(
    hooks,
    "import { appendFileSync } from 'node:fs';\n" +
      'export async function load(url, context, next) {\n' +
      "  appendFileSync(process.env.PDL_TEST_ES_LOADS, `${url}\\n`);\n" +
      '  return next(url, context);\n' +
      '}\n',
  );
  const register = join(dir, 'record-register.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` };
}

/** The bundle's files that hold a package's code: esbuild marks each module it took in with a `// …node_modules/…` line. */
async function chunksOf(pkg: string): Promise<string[]> {
  const folder = join(ROOT, 'dist', 'bundle', 'cli');
  const marker = new RegExp(`^// (?:.*/)?node_modules/${pkg}/`, 'm');
  const found: string[] = [];
  for (const name of await readdir(folder)) {
    if (name.endsWith('.js') && marker.test(await readFile(join(folder, name), 'utf8'))) found.push(name);
  }
  return found;
}

test('pdl run of a plain job and pdl get load neither zod nor yaml; a job with a problem loads both and words it', async (t) => {
  const { server, dir } = await fixture(t);
  const url = server.addFile('/a.bin', { size: 10 * KiB });
  const heavy = { zod: await chunksOf('zod'), yaml: await chunksOf('yaml') };
  assert.ok(heavy.zod.length > 0 && heavy.yaml.length > 0, `the bundle holds zod (${heavy.zod}) and yaml (${heavy.yaml})`);
  const recorder = await recordModuleLoads(dir);
  const plain = join(dir, 'plain.yaml');
  await writeFile(plain, `version: 1\ndefaults:\n  dir: ./out\n  connections: 4\n  timeout: 30s\nlimits:\n  files: 2\n  rate: 0\nfiles:\n  - ${url}\n  - url: ${url}\n    path: b.bin\n    checksum: sha256:${server.file('/a.bin').sha256}\n`);
  const unknown = join(dir, 'unknown.yaml');
  await writeFile(unknown, `version: 1\nfiles:\n  - url: ${url}\n    conections: 2\n`);

  const loadsOf = async (name: string, args: string[], code: number) => {
    const loads = join(dir, `${name}.es-loads`);
    const result = await runCli(args, { cwd: dir, env: { ...recorder, PDL_TEST_ES_LOADS: loads } });
    assert.equal(result.code, code, result.stderr);
    const loaded = (await readFile(loads, 'utf8')).split('\n').map((href) => href.replace(/^.*\/dist\/bundle\/cli\//, ''));
    assert.ok(loaded.includes('pdl.js'), `${name}: the recorder saw the bundle load`);
    return { result, loaded: new Set(loaded) };
  };
  for (const [name, args] of [['run', ['run', plain, '--quiet']], ['get', ['get', url, '-o', join(dir, 'got.bin'), '--quiet']]] as const) {
    const { result, loaded } = await loadsOf(name, [...args], 0);
    assertCleanStderr(result.stderr);
    assert.deepEqual(heavy.zod.filter((chunk) => loaded.has(chunk)), [], `${name} loaded zod`);
    assert.deepEqual(heavy.yaml.filter((chunk) => loaded.has(chunk)), [], `${name} loaded yaml`);
  }
  assert.equal(sha256(await readFile(join(dir, 'out', 'b.bin'))), server.file('/a.bin').sha256);
  assert.equal(sha256(await readFile(join(dir, 'got.bin'))), server.file('/a.bin').sha256);

  // The recorder sees both packages when they are needed: the full parse words the problem at its line and column.
  const { result, loaded } = await loadsOf('unknown', ['run', unknown], 2);
  assert.equal(result.stderr, `pdl: ${unknown}:4:5 files[0].conections: unknown key \`conections\`; did you mean \`connections\`?\n`);
  assert.ok(heavy.zod.some((chunk) => loaded.has(chunk)) && heavy.yaml.some((chunk) => loaded.has(chunk)), 'a job with a problem loads both');
});
