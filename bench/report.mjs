// Turn the runs of one benchmark invocation into Markdown tables, one per scenario.
// Usage: node bench/report.mjs <runs.tsv> <scenarios.tsv> <meta.md> <results.md>
//   runs.tsv:      scenario, tool, round, status, wall s, user s, sys s, max RSS KiB, bytes, ideal bytes/s
//   scenarios.tsv: scenario, title (in run order)
//   meta.md:       machine and versions, copied to the top of the results
// Prints the results and writes them to <results.md>. Ratios compare tools within this one invocation only.
import { readFile, writeFile } from 'node:fs/promises';

const [runsPath, scenariosPath, metaPath, resultsPath] = process.argv.slice(2);
if (!resultsPath) {
  process.stderr.write('usage: node bench/report.mjs <runs.tsv> <scenarios.tsv> <meta.md> <results.md>\n');
  process.exit(2);
}

const rows = (await readFile(runsPath, 'utf8').catch(() => ''))
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [scenario, tool, round, status, wall, user, sys, rss, bytes, ideal] = line.split('\t');
    return {
      scenario, tool, round: Number(round), status,
      wall: Number(wall), cpu: Number(user) + Number(sys), rss: Number(rss), bytes: Number(bytes), ideal: Number(ideal),
    };
  });
const titles = new Map(
  (await readFile(scenariosPath, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')),
);
const meta = await readFile(metaPath, 'utf8').catch(() => '');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const s = (seconds) => seconds.toFixed(2);
const MiB = 1048576;

function table(scenario) {
  const runs = rows.filter((row) => row.scenario === scenario);
  const tools = [...new Set(runs.map((row) => row.tool))];
  const stats = tools.map((tool) => {
    const all = runs.filter((row) => row.tool === tool);
    const ok = all.filter((row) => row.status === 'ok' && Number.isFinite(row.wall));
    const failures = all.filter((row) => row.status !== 'ok').map((row) => `r${row.round} ${row.status}`);
    if (ok.length === 0) return { tool, total: all.length, ok: 0, failures };
    const walls = ok.map((row) => row.wall);
    return {
      tool, total: all.length, ok: ok.length, failures,
      wall: median(walls), min: Math.min(...walls), max: Math.max(...walls),
      cpu: median(ok.map((row) => row.cpu)),
      rss: Math.max(...ok.map((row) => row.rss)) / 1024,
      throughput: median(ok.map((row) => row.bytes / row.wall)),
      ideal: ok[0].ideal,
    };
  });
  const base = stats.find((stat) => stat.tool.startsWith('pdl') && stat.ok > 0) ?? stats.find((stat) => stat.ok > 0);
  const withIdeal = stats.some((stat) => stat.ideal > 0);

  const head = ['tool', 'ok runs', 'wall s, median (min–max)', 'CPU s (user+sys), median', 'peak RSS MiB',
    `wall ÷ ${base?.tool ?? 'pdl'}`, 'MiB/s, median'];
  if (withIdeal) head.push('% of ideal (N × 4 MiB/s)');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const stat of stats) {
    const cells = [stat.tool, stat.ok === stat.total ? `${stat.ok}` : `**${stat.ok}/${stat.total}**`];
    if (stat.ok === 0) {
      cells.push('**FAILED**', '', '', '', '');
      if (withIdeal) cells.push('');
    } else {
      cells.push(`${s(stat.wall)} (${s(stat.min)}–${s(stat.max)})`, s(stat.cpu), stat.rss.toFixed(0),
        base ? (stat.wall / base.wall).toFixed(2) : '', (stat.throughput / MiB).toFixed(1));
      if (withIdeal) cells.push(stat.ideal > 0 ? `${((100 * stat.throughput) / stat.ideal).toFixed(0)} % of ${(stat.ideal / MiB).toFixed(0)} MiB/s` : '');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const failed = stats.flatMap((stat) => stat.failures.map((failure) => `${stat.tool} ${failure}`));
  if (failed.length > 0) lines.push('', `**FAILED runs (excluded above): ${failed.join('; ')}**`);
  return lines.join('\n');
}

const scenarios = [...new Set([...titles.keys(), ...rows.map((row) => row.scenario)])].filter((name) =>
  rows.some((row) => row.scenario === name),
);
const sections = scenarios.map((name) => `### ${name}: ${titles.get(name) ?? ''}\n\n${table(name)}\n`);
const failedTotal = rows.filter((row) => row.status !== 'ok').length;
const text = [
  meta.trim(),
  '',
  'Medians over interleaved rounds; "wall ÷" is the ratio of median wall times to the first pdl row (>1 = slower).',
  'CPU is user+sys of the tool and its children; peak RSS is the largest over the successful runs.',
  '',
  ...sections,
  failedTotal > 0 ? `**${failedTotal} run(s) FAILED — see the logs named in the run's output.**\n` : '',
].join('\n');

await writeFile(resultsPath, text);
process.stdout.write(`${text}\n`);
