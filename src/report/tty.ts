/**
 * The live display on a terminal, drawn through listr2 (the only module that loads it, lazily).
 *
 * listr2 supplies the machinery: redrawing in place, holding writes to `out` while the display is live, the
 * spinner's clock. What is drawn is ours: the renderer's frame is viewFrame(state, terminal size), a pure
 * function tested as data (tty-view.ts), so the lines fit the terminal and the last frame, left on screen when
 * the run ends, is drawn from the run's final state.
 */
import type { EngineEmitter, RunSummary } from '../engine/events.js';
import { subscribe, type Reporter, type ReporterOptions } from './reporter.js';
import { formatSummary } from './summary.js';
import { TtyState } from './tty-state.js';
import { lineText, viewFrame, type Line, type Tone } from './tty-view.js';

/** The most often the screen is redrawn. */
export const SYNC_MS = 200;
/** end() never waits longer than this for listr2 to finish its last frame. */
const END_TIMEOUT_MS = 5000;
/** Failed files listed in the closing summary; the rest are counted. */
const SUMMARY_LIMIT = 20;

type Listr2 = typeof import('listr2');
type Terminal = { columns?: number; rows?: number };

export async function createTtyReporter(options: ReporterOptions): Promise<Reporter> {
  const listr2 = await import('listr2');
  return new TtyReporter(listr2, options);
}

export class TtyReporter implements Reporter {
  readonly #listr2: Listr2;
  readonly #options: ReporterOptions;
  readonly #state: TtyState;
  #ticks = 0;
  #release: () => void = () => undefined;
  #run: Promise<unknown> | undefined;
  #detach: (() => void) | undefined;
  #ended = false;

  constructor(listr2: Listr2, options: ReporterOptions) {
    this.#listr2 = listr2;
    this.#options = options;
    this.#state = new TtyState(options.now ?? Date.now);
  }

  attach(events: EngineEmitter): void {
    if (this.#ended || this.#run !== undefined) return;
    this.#detach = subscribe(events, this.#state.handlers());
    // If listr2 cannot draw, the run goes on and end() still prints the summary.
    this.#run = this.#start().catch(() => undefined);
  }

  async end(summary: RunSummary): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach?.();
    if (this.#run !== undefined) {
      // The frame listr2 leaves on screen is drawn from here on: the summary's counts and bytes, not the last tick's.
      this.#state.finish(summary);
      this.#release();
      let timeout: NodeJS.Timeout | undefined;
      const limit = new Promise((resolve) => (timeout = setTimeout(resolve, END_TIMEOUT_MS)));
      await Promise.race([this.#run, limit]);
      clearTimeout(timeout);
    }
    this.#options.out.write(`${formatSummary(summary, { limit: SUMMARY_LIMIT })}\n`);
  }

  /** The frame for the terminal's size now (read at every redraw: a resized terminal gets a fitted frame). */
  #draw(): string {
    const terminal = this.#options.err as Terminal;
    const size = { columns: terminal.columns || 80, rows: terminal.rows || 24 };
    const color = this.#listr2.color;
    const paint: Record<Tone, (text: string) => string> = {
      active: color.cyan, ok: color.green, failed: color.red, stopped: color.yellow, dim: color.dim,
    };
    const lines = viewFrame(this.#state.snapshot(), size, this.#ticks++);
    return lines.map((line: Line) => {
      const text = lineText(line);
      return `${' '.repeat(line.indent)}${paint[line.tone](line.glyph)}${text.slice(line.indent + line.glyph.length)}`;
    }).join('\n');
  }

  async #start(): Promise<void> {
    const { Listr, ListrLogger, ProcessOutput } = this.#listr2;
    // Draw on `err`; writes to `out` while the display is live are held and replayed after it ends.
    const err = this.#options.err as NodeJS.WriteStream;
    const processOutput = new ProcessOutput(err, this.#options.out as NodeJS.WriteStream, { leaveEmptyLine: false });
    const gate = new Promise<void>((resolve) => (this.#release = resolve));
    const root = new Listr([{ title: 'pdl', task: () => gate }], {
      renderer: frameRenderer(this.#listr2, () => this.#draw()),
      rendererOptions: { logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }) },
      exitOnError: false,
      // The engine owns SIGINT (it stops cleanly and keeps .part files); listr2's handler would exit(127).
      registerSignalListeners: false,
    });
    await root.run();
  }
}

/**
 * listr2's default renderer with our frame in place of its task tree, redrawn at most every SYNC_MS. It claims to
 * work without a TTY on stdout: we draw on `err`, and the caller only picks this reporter when that is a terminal.
 */
function frameRenderer(listr2: Listr2, draw: () => string) {
  return class FrameRenderer extends listr2.DefaultRenderer {
    static override nonTTY = true;
    #last = Number.NEGATIVE_INFINITY;
    #pending: NodeJS.Timeout | undefined;

    override create(): string {
      return draw();
    }

    override update(): void {
      const wait = this.#last + SYNC_MS - Date.now();
      if (wait <= 0) {
        this.#last = Date.now();
        super.update();
      } else {
        this.#pending ??= setTimeout(() => {
          this.#pending = undefined;
          this.#last = Date.now();
          super.update();
        }, wait);
      }
    }

    override end(): void {
      clearTimeout(this.#pending);
      this.#pending = undefined;
      super.end();
    }
  };
}
