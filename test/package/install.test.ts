/**
 * The package as users get it: a checkout without dist/ is packed (the `prepare` script must build it, the bundled
 * CLI included), the tarball is installed into a temporary global prefix, and the installed `pdl` binary downloads a
 * file through the bundle, hash worker included. Dependencies are
 * resolved against a registry on 127.0.0.1 that serves package-lock.json's packages from npm's local cache (filled
 * by `npm ci`), so the test never reaches beyond 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFixtureServer } from '../helpers/fixture-server.js';
import { startLockRegistry } from '../helpers/lock-registry.js';
import { tempDir } from '../helpers/job.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** What a fresh clone holds that packing needs; dist/ is deliberately absent. */
const CHECKOUT = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'LICENSE', 'README.md', 'jobs.example.yaml', 'src', 'schemas'];

/** npm run by `npm test` exports npm_* settings of the outer project (its prefix, its lifecycle); drop them. */
function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.toLowerCase().startsWith('npm_')) env[key] = value;
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

test('npm pack of a fresh checkout builds dist/, and the installed tarball gives a working pdl', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t);
  const checkout = join(dir, 'checkout');
  for (const entry of CHECKOUT) await cp(join(ROOT, entry), join(checkout, entry), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const env = cleanEnv();

  const packed = await run(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: checkout, env, timeout: 90_000 });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const shipped = info!.files.map((f) => f.path);
  assert.ok(shipped.includes('dist/src/cli/bin.js'), `the binary is packed: ${shipped.join(', ')}`);
  assert.ok(shipped.includes('dist/bundle/cli/pdl.js') && shipped.includes('dist/bundle/cli/hash-worker.js'), 'the bundled CLI is packed');
  assert.ok(shipped.includes('LICENSE') && shipped.includes('schemas/job.schema.json'));
  assert.deepEqual(shipped.filter((p) => p.endsWith('.map') || p.startsWith('dist/test') || p.startsWith('src/')), []);
  for (const path of shipped.filter((p) => p.endsWith('.js'))) {
    assert.doesNotMatch(await readFile(join(checkout, path), 'utf8'), /sourceMappingURL/, `${path} points at no source map`);
  }

  const cache = (await run(NPM, ['config', 'get', 'cache'], { cwd: dir, env })).stdout.trim();
  const registry = await startLockRegistry(join(ROOT, 'package-lock.json'), cache);
  t.after(() => registry.close());
  const prefix = join(dir, 'prefix');
  const installEnv = { ...env, npm_config_registry: registry.url };
  await run(NPM, ['install', '--global', '--prefix', prefix, join(dir, info!.filename)], { cwd: dir, env: installEnv, timeout: 90_000 });
  const pdl = process.platform === 'win32' ? join(prefix, 'pdl.cmd') : join(prefix, 'bin', 'pdl');

  // npm 11 may be allowed to run `prepare` in an installed copy: it must leave the shipped build alone there.
  const installed = join(prefix, process.platform === 'win32' ? '' : 'lib', 'node_modules', 'pdl-downloader');
  await run(NPM, ['run', 'prepare'], { cwd: installed, env });
  const version = await run(pdl, ['--version'], { cwd: dir, env });
  const { version: expected } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), `pdl ${expected}`);

  const server = await startFixtureServer();
  t.after(() => server.close());
  // Over 1 MiB with a checksum: hashed by the hash worker, which the bundle starts from its own folder.
  const url = server.addFile('/pkg/file.bin', { size: 3 * 1024 * 1024 + 7 });
  const sha256 = server.file('/pkg/file.bin').sha256;
  const get = async (out: string) => {
    const got = await run(pdl, ['get', url, '-o', join(out, 'file.bin'), '-c', '2', '--min-split-size', '64KiB', '--checksum', `sha256:${sha256}`, '--reporter', 'plain'], {
      cwd: dir,
      env,
      timeout: 30_000,
    });
    assert.match(got.stdout + got.stderr, /file\.bin/);
    assert.deepEqual(await readdir(out), ['file.bin']);
    assert.equal(createHash('sha256').update(await readFile(join(out, 'file.bin'))).digest('hex'), sha256);
  };
  await get(join(dir, 'out'));
  // The installed binary runs from the bundle: without the unbundled engine and hash worker it works the same.
  for (const folder of ['engine', 'verify']) await rm(join(installed, 'dist', 'src', folder), { recursive: true });
  await get(join(dir, 'out-again'));
});
