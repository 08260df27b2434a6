/**
 * The job schema as an editor shows it: yaml-language-server (VS Code's YAML extension) run headlessly on documents
 * whose first line names the generated schema, as `pdl init` writes them. Its diagnostics and hovers are the test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobSchemaText } from '../../src/job/schema.js';
import { STARTER_SCHEMA_NAME, starterJob } from '../../src/cli/starter-job.js';
import { YamlLanguageServer } from '../helpers/yaml-language-server.js';

let dir: string;
let server: YamlLanguageServer;
let documents = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdl-editor-'));
  await writeFile(join(dir, STARTER_SCHEMA_NAME), jobSchemaText());
  server = await YamlLanguageServer.start();
});
after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A job file in the folder that holds the schema; each gets its own name, as the server caches by document. */
async function open(lines: string[]) {
  const path = join(dir, `job-${++documents}.yaml`);
  const text = [`# yaml-language-server: $schema=./${STARTER_SCHEMA_NAME}`, ...lines, ''].join('\n');
  await writeFile(path, text);
  return { path, diagnostics: await server.diagnose(path, text) };
}

test('the starter job pdl init writes has no problems in the editor', async () => {
  const path = join(dir, 'starter.yaml');
  const diagnostics = await server.diagnose(path, starterJob());
  assert.deepEqual(diagnostics, []);
});

test('sizes, durations and rates of the wrong form say which forms are accepted', async () => {
  const { diagnostics } = await open([
    'version: 1',
    'defaults:',
    '  timeout: 30 seconds',
    '  minSplitSize: 4 megs',
    'limits:',
    '  rate: fast',
    'files:',
    '  - url: https://example.org/a',
    '    timeout: true',
  ]);
  assert.deepEqual([...diagnostics].sort((a, b) => a.line - b.line), [
    { line: 4, message: 'Expected a duration such as 30s, 2m or 500ms, or a number of milliseconds; from 100ms to 24h' },
    { line: 5, message: 'Expected a size such as 4MiB, 512KiB or 1.5GB, or a number of bytes; from 64KiB to 1TiB' },
    {
      line: 7,
      message: 'Expected a rate in bytes per second such as 20MiB, 20MiB/s or 1.5MB, or a number of bytes; 0 = unlimited, otherwise from 1KiB/s to 1TiB/s',
    },
    { line: 10, message: 'Expected a duration such as 30s, 2m or 500ms, or a number of milliseconds; from 100ms to 24h' },
  ].sort((a, b) => a.line - b.line), JSON.stringify(diagnostics));
});

test('a number out of bounds and a misspelt key are reported on their lines', async () => {
  const { diagnostics } = await open(['version: 1', 'defaults:', '  timeout: 50', 'files:', '  - url: https://example.org/a', '    conections: 4']);
  assert.equal(diagnostics.length, 2, JSON.stringify(diagnostics));
  assert.match(diagnostics.find((d) => d.line === 4)?.message ?? '', /100/);
  assert.match(diagnostics.find((d) => d.line === 7)?.message ?? '', /conections/);
});

test('hovering a size, a duration or a rate shows its title once, then what it accepts', async () => {
  const { path } = await open(['version: 1', 'defaults:', '  timeout: 30s', '  minSplitSize: 4MiB', 'limits:', '  rate: 10MiB', 'files:', '  - https://example.org/a']);
  for (const [line, title, accepts] of [
    [4, 'Stall timeout', /500ms, 30s, 2m, 1h/],
    [5, 'Minimum split size', /4MiB, 512KiB/],
    [7, 'Rate limit', /0 = unlimited/],
  ] as const) {
    const hover = await server.hover(path, line, 4);
    assert.equal(hover.split('\n')[0], `#### ${title}`, hover);
    assert.match(hover, accepts);
  }
});

test('the editor takes `urls:` instead of `url:`, and flags an entry with both or neither', async () => {
  const mirrors = await open(['version: 1', 'files:', '  - urls: [https://a.example/x.iso, https://b.example/x.iso]']);
  assert.deepEqual(mirrors.diagnostics, []);
  const both = await open(['version: 1', 'files:', '  - url: https://a.example/x.iso', '    urls: [https://b.example/x.iso]']);
  assert.ok(both.diagnostics.length > 0, 'url and urls together');
  const neither = await open(['version: 1', 'files:', '  - path: x.iso']);
  assert.ok(neither.diagnostics.length > 0, 'neither url nor urls');
});
