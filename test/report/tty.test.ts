import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EngineEmitter, type RunSummary } from '../../src/engine/events.js';
import { createReporter, defaultReporterKind } from '../../src/report/index.js';
import { MAX_LINES } from '../../src/report/tty-view.js';
import { capture, FAILED, feedSyntheticRun, pathOf, reasonOf } from './synthetic-run.js';

const ERASE = /(?:\x1b\[2K\x1b\[1A)*\x1b\[2K\x1b\[G/;
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** The frames the renderer drew: what follows each "erase previous frame" sequence, up to the cursor restore. */
function frames(raw: string): string[][] {
  return raw
    .split(ERASE)
    .slice(1)
    .map((frame) => stripAnsi(frame.split('\x1b[?25h')[0] ?? '').split(/\r?\n/).filter((line) => line.trim() !== ''));
}

function distinctFilePaths(lines: string[]): Set<string> {
  return new Set(lines.flatMap((line) => line.match(/data\/file-\d{4}\.bin/g) ?? []));
}

function assertDisplay(raw: string): void {
  const all = frames(raw);
  assert.ok(all.length >= 2, `expected several frames, got ${all.length}`);
  const tallest = Math.max(...all.map((frame) => frame.length));
  assert.ok(tallest <= MAX_LINES, `a frame had ${tallest} lines`);
  const text = stripAnsi(raw);
  assert.match(text, /Downloading \d+\/200 files · [\d.]+ MiB of ≥[\d.]+ MiB · [\d.]+ MiB\/s · ETA ~/);
  assert.match(text, /› \d+ done, 5 skipped · and 2 more failed/);
  assert.match(text, /and 4 more in flight/);
  assert.match(text, /› conn 2  bytes [\d.]+–[\d.]+ KiB {2}\d+% {2}[\d.]+ KiB\/s/);
  assert.ok(text.includes(`✖ data/file-0010.bin: ${reasonOf(10)}`));
  // Finished files collapse into the "N done" line: however many frames a loaded machine draws, the last one lists
  // no finished file, only failed ones (kept with their reason), and no frame lists more files than fit on screen.
  const last = all.at(-1)!;
  const failedPaths = new Set([...FAILED].map(pathOf));
  for (const path of distinctFilePaths(last)) assert.ok(failedPaths.has(path), `the last frame still lists ${path}`);
  for (const frame of all) assert.ok(distinctFilePaths(frame).size < MAX_LINES, `a frame listed ${distinctFilePaths(frame).size} files`);
}

test('tty draws a bounded, collapsing task list on err and prints the summary after it, on out (a result: `| tee log` keeps it)', async () => {
  const err = capture({ columns: 120, rows: 40 });
  const out = capture();
  const reporter = await createReporter('tty', { out: out.stream, err: err.stream, quiet: false, verbose: false, timestamps: false });
  const events = new EngineEmitter();
  reporter.attach(events);
  const summary = await feedSyntheticRun(events, 10);
  await reporter.end(summary);
  await reporter.end(summary);

  assertDisplay(err.text());
  const summaryText = stripAnsi(out.text());
  assert.match(summaryText, /^188 done, 5 skipped, 7 failed, /);
  assert.equal(summaryText.match(/^FAILED /gm)?.length, 7);
  assert.doesNotMatch(stripAnsi(err.text()), /^188 done/m, 'the summary is not drawn on err');
  assert.equal(events.listenerCount('file:start'), 0, 'detached at end');
});

test('tty end() without attach just prints the summary; quiet prints failures and summary as lines', async () => {
  const summary: RunSummary = {
    files: [], done: 2, skipped: 0, unchanged: 0, failed: 0, interrupted: 0, transferred: 2048, elapsedMs: 10, speed: 1024, stopped: undefined,
  };
  const err = capture({ columns: 80, rows: 24 });
  const out = capture();
  const reporter = await createReporter('tty', { out: out.stream, err: err.stream, quiet: false, verbose: false, timestamps: false });
  await reporter.end(summary);
  assert.equal(out.text(), '2 done, 0 skipped, 0 failed, 2.0 KiB in 10ms (1.0 KiB/s)\n');
  assert.equal(err.text(), '');

  const quietErr = capture({ columns: 80, rows: 24 });
  const quietOut = capture();
  const quiet = await createReporter('tty', { out: quietOut.stream, err: quietErr.stream, quiet: true, verbose: false, timestamps: true });
  const events = new EngineEmitter();
  quiet.attach(events);
  const full = await feedSyntheticRun(events, 0);
  await quiet.end(full);
  assert.equal(quietErr.lines().length, 7, 'failures as they happen, on err');
  assert.equal(quietOut.lines().length, 1 + 7, 'then the summary with its failure list, on out');
  assert.ok(!quietErr.text().includes('\x1b') && !quietOut.text().includes('\x1b'));
});

test('defaultReporterKind wants a terminal with a size', () => {
  const cases: Array<[{ isTTY?: boolean; columns?: number; rows?: number }, string]> = [
    [{ isTTY: true, columns: 120, rows: 40 }, 'tty'],
    [{ isTTY: true }, 'tty'],
    [{ isTTY: true, columns: 0, rows: 0 }, 'plain'],
    [{ isTTY: false, columns: 120, rows: 40 }, 'plain'],
    [{}, 'plain'],
  ];
  for (const [stream, kind] of cases) assert.equal(defaultReporterKind(stream), kind, JSON.stringify(stream));
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('tty smoke test under a real pseudo-terminal (util-linux script)', { skip: !hasScript && 'no `script` binary' }, async () => {
  const program = fileURLToPath(new URL('./synthetic-run.js', import.meta.url));
  // `script` without a controlling terminal gives a 0×0 pty; give it a size as a real terminal would.
  const command = `stty cols 120 rows 40; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(program)} --run`;
  const { stdout } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], {
    timeout: 20_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  assertDisplay(stdout);
  assert.match(stripAnsi(stdout), /188 done, 5 skipped, 7 failed, .*\r?\nFAILED data\/file-0010\.bin: /);
});
