/**
 * Bundles the CLI that the `pdl` binary loads for every command (src/cli/entry.ts) into dist/bundle/cli/: Node then
 * reads and compiles a few files instead of resolving, reading and linking several hundred modules, which was most of
 * pdl's start-up (bench/RESULTS.md, "Issue 12 (start-up)"). Run after tsc by `npm run build` and by prepare.mjs;
 * plain JavaScript, since it runs before anything is compiled.
 *
 * The output folder is as deep below the package root as src/cli/ is, and the hash worker is bundled beside the CLI,
 * so every path the code takes relative to its own module (import.meta.url) holds in the bundle too: the worker is
 * `./hash-worker.js`, package.json (for the version) is three folders up.
 */
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * undici's Agent and request API go into the bundle: loaded from node_modules they cost about 25 ms of every start, a
 * third of it finding and reading some 30 files. http/agent.ts takes them through createRequire (so that the library
 * in dist/src loads only those modules, not undici's whole entry), which a bundler does not follow: here the two calls
 * become static imports. The full entry, needed only with a proxy, stays a runtime require from node_modules.
 */
const DEEP_UNDICI = {
  "require('undici/lib/dispatcher/agent.js')": '__pdlUndiciAgent',
  "require('undici/lib/api/api-request.js')": '__pdlUndiciRequest',
};
const undiciInBundle = {
  name: 'undici-in-bundle',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]http[\\/]agent\.ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const [call, name] of Object.entries(DEEP_UNDICI)) {
        // A renamed call would silently leave undici out of the bundle and unresolvable at run time: stop the build.
        if (!text.includes(call)) throw new Error(`scripts/bundle.mjs: ${call} is no longer in ${args.path}`);
        text = text.replace(call, name);
      }
      const imports = Object.entries(DEEP_UNDICI).map(([call, name]) => `import ${name} from ${call.slice('require('.length, -1)};`);
      return { contents: `${imports.join('\n')}\n${text}`, loader: 'ts' };
    });
  },
};

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { pdl: 'src/cli/entry.ts', 'hash-worker': 'src/verify/hash-worker.ts' },
  outdir: 'dist/bundle/cli',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  // Lazily imported code (each command, the reporters, listr2) stays in chunks of its own, loaded when used, and so
  // do the static imports of the external packages below: in one file they would all be loaded at start-up.
  splitting: true,
  external: [
    // Native parts (ssh2, msgpackr under bullmq), and needed only for sftp://, ftp:// or --queue: from node_modules.
    'ssh2',
    'basic-ftp',
    'bullmq',
    'ioredis',
  ],
  plugins: [undiciInBundle],
  // CommonJS dependencies in the bundle (yaml) call require() for Node's built-in modules; ESM has no require.
  banner: { js: "import { createRequire as __pdlCreateRequire } from 'node:module'; const require = __pdlCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
