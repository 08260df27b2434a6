/**
 * The loader's fast paths (quick-yaml.ts for the text, plain-entries.ts and plain-top.ts for the schema, and
 * loadJobFile's way round zod and yaml altogether) must change nothing a user can see: for generated job files, the
 * resolved job, or every problem with its line and column, is compared with a load that takes none of them.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineCounter } from 'yaml';
import { JobFileError, formatJobIssues } from '../../src/errors.js';
import { checkJob, finish, formatPath } from '../../src/job/check.js';
import { loadJobFile } from '../../src/job/load.js';
import { parseYaml, offsetOf } from '../../src/job/yaml.js';
import { tempDir } from '../helpers/job.js';
import { BASE_DIR, load, seededRandom } from './helpers.js';

const env = { TOKEN: 'secret-token', HOST: 'mirror.example.org', EMPTY: '' };

/** load.ts without its fast paths: the full YAML parse, and a top level zod alone takes (plain-entries wants literals). */
function slowLoad(text: string, baseDir = BASE_DIR, source?: string): unknown {
  const lineCounter = new LineCounter();
  const parsed = parseYaml(text, lineCounter);
  if (!parsed.ok) return formatJobIssues('jobs.yaml', finish(parsed.issues));
  const raw = parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value)
    ? Object.assign(Object.create(null) as object, parsed.value) : parsed.value;
  const checked = checkJob(raw, { baseDir, env, expandEnv: true, ...(source !== undefined ? { source } : {}) });
  if (checked.ok) return checked.job;
  return formatJobIssues('jobs.yaml', finish(checked.issues.map((issue) => {
    const { line, col } = lineCounter.linePos(offsetOf(parsed.doc, issue));
    return { line, column: col, path: formatPath(issue.path), message: issue.message };
  })));
}

function fastLoad(text: string): unknown {
  try {
    return load(text, env);
  } catch (error) {
    if (error instanceof JobFileError) return error.message;
    throw error;
  }
}

describe('the fast paths change nothing the user sees', () => {
  const random = seededRandom(99);
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
  /** Unusual values a job may still hold: one or two, so that each is seen alone, not hidden behind others. */
  let budget = 0;
  const odd = <T>(usual: readonly T[], unusual: readonly T[]): T => (budget > 0 && random(3) === 0 ? (budget--, pick(unusual)) : pick(usual));
  const sha = `sha256:${'ab'.repeat(32)}`;
  const fields: Record<string, { usual: string[]; unusual: string[] }> = {
    url: { usual: ['https://example.org/a.iso', 'https://example.org/d/b.bin', 'http://127.0.0.1/x'], unusual: ['${HOST}', 'https://${HOST}/x', 'https://u:p@h/x', 'ftp://h/x', 'nota url', '""', '~', '8', "'https://e.org/it''s'", 'https://e.org/a #frag', 'https://e.org/a#frag', 'https://${MISSING}/x', '$${HOST}', 'https://e.org/%2e%2e/x'] },
    path: { usual: ['out/a.iso', 'b.bin', 'd/e/f.txt'], unusual: ['../x', '/abs', 'a/../b', './a//b', 'a/', 'CON', 'a.part', 'a/.', '.hidden', 'x'.repeat(260), 'A.ISO', 'out', 'out/a.iso/c', '""', 'a\\b', 'C:x', '~', 'é/ü'] },
    checksum: { usual: [sha], unusual: [sha.toUpperCase(), 'sha256:abc', `md5:${'0'.repeat(32)}`, 'sha256:file:https://e.org/SUMS', 'sha1:file:https://e.org/S', 'sha256:file:${HOST}', `"${sha}"`] },
    priority: { usual: ['1', '-5'], unusual: ['"8"', '1000001', '-1000000', '1.5', '08', '+3', '-0', '1_000', 'high', '~', '12345678901234567890'] },
    connections: { usual: ['4', '16'], unusual: ['0', '65', '"8"', '0x10', '1e1', 'yes'] },
    retries: { usual: ['3'], unusual: ['-1', '101', 'lots', '0'] },
    ifExists: { usual: ['skip', 'resume'], unusual: ['Skip', 'newer', 'ovewrite', '"skip"', 'yes'] },
    timeout: { usual: ['30s'], unusual: ['10', '99', '24h', '25h', '"30000"', '1.5s', '30 s'] },
    minSplitSize: { usual: ['1MiB'], unusual: ['10MiB', '1', '64KiB', '"8"', '2TiB', '1.5GB'] },
  };
  const header = () => odd(['X-Token: "${TOKEN}"', 'Accept: text/plain'], ['Host: x', 'a b: c', 'X-E: ${EMPTY}', 'X-N: 5', 'X-L: ~', 'X-U: é', 'X-C: "a\\nb"']);

  const entry = (i: number): string[] => {
    if (random(4) === 0) return [`  - ${odd([`https://example.org/s/${i}.bin`], ['""', 'https://example.org/same.bin', '${HOST}', '~', '"https://e.org/q"'])}`];
    const lines: string[] = [];
    // Mostly the fields plain-entries.ts takes, so that its answers are compared often.
    const rare = ['timeout', 'minSplitSize'];
    const names = Object.keys(fields).filter((name) => name === 'url' ? random(8) > 0 : random(rare.includes(name) ? 12 : 3) === 0);
    if (random(20) === 0) names.push('urls');
    if (budget > 0 && random(20) === 0) names.push((budget--, pick(['extra', 'Url', 'toString'])));
    for (const name of names) {
      if (name === 'urls') lines.push('urls:', `  - https://a.example/${i}`, `  - ${odd([`https://b.example/${i}`], [`https://a.example/${i}`, 'ftp://h/x', '${HOST}'])}`);
      else if (name === 'path') lines.push(`path: ${random(2) === 0 ? `p/${i}.bin` : odd(fields.path!.usual, fields.path!.unusual)}`);
      else lines.push(`${name}: ${Object.hasOwn(fields, name) ? odd(fields[name]!.usual, fields[name]!.unusual) : '1'}`);
    }
    if (random(20) === 0) lines.push('headers:', `  ${header()}`);
    if (lines.length === 0) lines.push('path: x');
    return lines.map((line, n) => `${n === 0 ? '  - ' : '    '}${line}`);
  };

  const job = (): string => {
    budget = pick([0, 1, 1, 1, 2]);
    const lines = [odd(['version: 1'], ['version: 2', 'version: "1"', 'version: 1.0'])];
    if (random(3) === 0) {
      lines.push('defaults:', `  dir: ${odd(['out'], ['""', '/tmp/x', '../up'])}`);
      if (random(2) === 0) lines.push(`  connections: ${odd(['4'], ['0', '"8"', '65'])}`);
      if (random(3) === 0) lines.push('  headers:', `    ${header()}`);
      if (random(4) === 0) lines.push(`  timeout: ${odd(['10s'], ['10', '5m', '1.5', '25h'])}`);
      if (random(4) === 0) lines.push(`  minSplitSize: ${odd(['1MiB', '65536'], ['1', '1.5MiB', '2TiB'])}`);
      if (random(4) === 0) lines.push(`  retries: ${odd(['3', '0'], ['-1', '101'])}`);
      if (random(4) === 0) lines.push(`  ifExists: ${odd(['skip', 'overwrite'], ['Skip', 'newr'])}`);
      if (budget > 0 && random(8) === 0) lines.push((budget--, pick(['  ssh:', '  ftp:', '  extra: 1', '  files: 2'])));
    }
    if (random(4) === 0) {
      lines.push('limits:', `  ${odd(['files: 2', 'rate: 10MiB'], ['files: 0', 'rate: 1', 'perhost: 3', 'connections: 1025'])}`);
      if (random(2) === 0) lines.push(`  ${odd(['perHost: 4', 'connections: 32', 'rate: 0'], ['rate: 1.5', 'perHost: "4"'])}`);
    }
    if (random(6) === 0) lines.push(`cache: ${odd(['.cache', 'cache/dir'], ['""', '~'])}`);
    lines.push(odd(['files:'], ['files: []', 'file:']));
    for (let i = 0, n = 1 + random(6); i < n; i++) lines.push(...entry(i));
    return `${lines.join('\n')}\n`;
  };

  it('resolves or refuses generated job files exactly as the full path does (fixed seed)', () => {
    let resolved = 0;
    let refused = 0;
    for (let round = 0; round < 2500; round++) {
      const text = job();
      const fast = fastLoad(text);
      assert.deepEqual(fast, slowLoad(text), text);
      if (typeof fast === 'string') refused++;
      else resolved++;
    }
    assert.ok(resolved > 100 && refused > 100, `${resolved} resolved, ${refused} refused: too few of one kind to compare`);
  });

  it("loadJobFile, the CLI's way round zod and yaml, resolves or refuses them as the full path does (fixed seed)", async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'jobs.yaml');
    let resolved = 0;
    for (let round = 0; round < 400; round++) {
      const text = job();
      await writeFile(file, text);
      const fast = await loadJobFile(file, { env, displayName: 'jobs.yaml' }).catch((error: unknown) => {
        if (error instanceof JobFileError) return error.message;
        throw error;
      });
      assert.deepEqual(fast, slowLoad(text, dir, file), text);
      if (typeof fast !== 'string') resolved++;
    }
    assert.ok(resolved > 50, `${resolved} resolved: too few to compare`);
  });
});
