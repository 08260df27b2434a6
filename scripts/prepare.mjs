/**
 * `npm run prepare`: npm runs it before `npm pack` and when installing from a git URL, to build dist/src and the
 * bundled CLI in dist/bundle (scripts/bundle.mjs). Plain JavaScript, since it runs before anything is compiled. A
 * packed copy has dist/ and no src/: nothing to do there, and in particular nothing to delete (npm 11 lists
 * `prepare` among scripts it may be allowed to run on install).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

if (existsSync('src') && existsSync('tsconfig.build.json')) {
  // A clean dist/src: no stale modules or source maps left by a development build get packed.
  rmSync('dist/src', { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
}
