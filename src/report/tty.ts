/**
 * The live display on a terminal, drawn by listr2 (the only module that loads it, lazily).
 *
 * listr2 cannot add or drop tasks while a list runs, and a task per file would be 10,000 tasks on a big
 * job, so the list is a fixed set of slots created once: a header task (its output line is the "N done"
 * line), FAILED_SLOTS failure lines, FILE_SLOTS file lines each with CONNECTION_SLOTS connection lines,
 * and an "and N more in flight" line. A slot with a blank title draws nothing. Engine events update a
 * listr-free model (tty-view.ts); every SYNC_MS the model's frame is copied onto the slots, and the
 * renderer redraws at most every SYNC_MS. A failure line is a slot whose task is rejected, so listr2
 * marks it failed and freezes it: failures stay on screen in arrival order.
 */
import type { EngineEmitter, RunSummary } from '../engine/events.js';
import { subscribe, type Reporter, type ReporterOptions } from './index.js';
import { formatSummary } from './summary.js';
import { CONNECTION_SLOTS, FAILED_SLOTS, FILE_SLOTS, TtyView, type Frame } from './tty-view.js';

/** How often titles are refreshed and the most often the screen is redrawn. */
export const SYNC_MS = 200;
/** end() never waits longer than this for listr2 to finish its last frame. */
const END_TIMEOUT_MS = 5000;
/** Failed files listed in the closing summary; the rest are counted. */
const SUMMARY_LIMIT = 20;
/** A title listr2 keeps but draws as nothing (an empty one would switch the task to bottom-bar mode). */
const BLANK = ' ';

type Listr2 = typeof import('listr2');
/** The renderer class is made at run time (see throttledRenderer), so tasks are typed renderer-agnostic. */
type SlotTask = import('listr2').ListrTask<unknown, import('listr2').ListrRendererFactory, import('listr2').ListrRendererFactory>;
type Wrapper = { title: string; output: string };

interface Slot {
  wrapper: Wrapper | undefined;
  title: string;
  settle: (error?: Error) => void;
  gate: Promise<void>;
}

interface FileSlot {
  file: Slot;
  connections: Slot[];
}

export async function createTtyReporter(options: ReporterOptions): Promise<Reporter> {
  const listr2 = await import('listr2');
  return new TtyReporter(listr2, options);
}

export class TtyReporter implements Reporter {
  readonly #listr2: Listr2;
  readonly #options: ReporterOptions;
  readonly #now: () => number;
  readonly #view: TtyView;
  readonly #header = slot();
  readonly #failed = Array.from({ length: FAILED_SLOTS }, slot);
  readonly #files: FileSlot[] = Array.from({ length: FILE_SLOTS }, () => ({
    file: slot(),
    connections: Array.from({ length: CONNECTION_SLOTS }, slot),
  }));
  readonly #more = slot();
  #failedShown = 0;
  #run: Promise<unknown> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #detach: (() => void) | undefined;
  #ended = false;

  constructor(listr2: Listr2, options: ReporterOptions) {
    this.#listr2 = listr2;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#view = new TtyView(this.#now);
  }

  attach(events: EngineEmitter): void {
    if (this.#ended || this.#run !== undefined) return;
    this.#detach = subscribe(events, this.#view.handlers());
    // If listr2 cannot draw, the run goes on and end() still prints the summary.
    this.#run = this.#start().catch(() => undefined);
    this.#timer = setInterval(() => this.#sync(this.#view.frame()), SYNC_MS);
    this.#timer.unref();
  }

  async end(summary: RunSummary): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach?.();
    clearInterval(this.#timer);
    if (this.#run !== undefined) {
      const frame = this.#view.frame();
      this.#sync({ ...frame, files: [], more: '', done: '' });
      setTitle(this.#header, frame.final);
      for (const s of this.#allSlots()) s.settle();
      let timeout: NodeJS.Timeout | undefined;
      const limit = new Promise((resolve) => (timeout = setTimeout(resolve, END_TIMEOUT_MS)));
      await Promise.race([this.#run, limit]);
      clearTimeout(timeout);
    }
    this.#options.err.write(`${formatSummary(summary, { limit: SUMMARY_LIMIT })}\n`);
  }

  /** Copy a frame onto the slots; listr2 redraws when a title or output actually changes. */
  #sync(frame: Frame): void {
    setTitle(this.#header, frame.header);
    if (this.#header.wrapper !== undefined && this.#header.wrapper.output !== frame.done) {
      this.#header.wrapper.output = frame.done;
    }
    for (; this.#failedShown < Math.min(frame.failed.length, FAILED_SLOTS); this.#failedShown += 1) {
      const target = this.#failed[this.#failedShown];
      target?.settle(new Error(frame.failed[this.#failedShown]));
    }
    this.#files.forEach((fileSlot, i) => {
      const file = frame.files[i];
      setTitle(fileSlot.file, file?.title ?? BLANK);
      fileSlot.connections.forEach((c, j) => setTitle(c, file?.connections[j] ?? BLANK));
    });
    setTitle(this.#more, frame.more === '' ? BLANK : frame.more);
  }

  #allSlots(): Slot[] {
    return [this.#header, ...this.#failed, ...this.#files.flatMap((f) => [f.file, ...f.connections]), this.#more];
  }

  async #start(): Promise<void> {
    const { Listr, ListrLogger, ProcessOutput } = this.#listr2;
    // Draw on `err`; writes to `out` while the display is live are held and replayed after it ends.
    const err = this.#options.err as NodeJS.WriteStream;
    const processOutput = new ProcessOutput(err, this.#options.out as NodeJS.WriteStream, { leaveEmptyLine: false });
    const subtasks = { concurrent: true, exitOnError: false };
    const held = (s: Slot): SlotTask => ({ title: BLANK, task: (_, w) => run(s, w) });
    const fileTask = (f: FileSlot): SlotTask => ({
      title: BLANK,
      task: (_, w) => {
        void run(f.file, w);
        return w.newListr(f.connections.map(held), subtasks);
      },
    });
    const root = new Listr(
      [
        {
          title: BLANK,
          task: (_, w) => {
            void run(this.#header, w);
            return w.newListr([...this.#failed.map(held), ...this.#files.map(fileTask), held(this.#more)], subtasks);
          },
        },
      ],
      {
        renderer: throttledRenderer(this.#listr2),
        rendererOptions: {
          logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }),
          formatOutput: 'truncate',
          collapseSubtasks: true,
          collapseErrors: true,
        },
        exitOnError: false,
        // The engine owns SIGINT (it stops cleanly and keeps .part files); listr2's handler would exit(127).
        registerSignalListeners: false,
      },
    );
    await root.run();
  }
}

function slot(): Slot {
  let settle: (error?: Error) => void = () => undefined;
  const gate = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  // A failure may be settled before listr2 starts the slot's task: keep that from counting as unhandled.
  gate.catch(() => undefined);
  return { wrapper: undefined, title: BLANK, settle, gate };
}

/** Bind a slot to its task once listr2 starts it; the task then lasts until the slot is settled. */
function run(s: Slot, wrapper: Wrapper): Promise<void> {
  s.wrapper = wrapper;
  wrapper.title = s.title;
  return s.gate;
}

function setTitle(s: Slot, title: string): void {
  if (s.title === title) return;
  s.title = title;
  if (s.wrapper !== undefined) s.wrapper.title = title;
}

/**
 * listr2's default renderer redraws on every title change and spinner tick; this one redraws at most
 * every SYNC_MS. It also claims to work without a TTY on stdout: we draw on `err`, and the caller only
 * picks this reporter when that is a terminal.
 */
function throttledRenderer(listr2: Listr2) {
  return class ThrottledRenderer extends listr2.DefaultRenderer {
    static override nonTTY = true;
    #last = Number.NEGATIVE_INFINITY;
    #pending: NodeJS.Timeout | undefined;

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
