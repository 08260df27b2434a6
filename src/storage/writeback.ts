/**
 * Writeback while downloading: a `.part` file is fdatasync'ed once at the end before its rename (the promise that a
 * complete-looking file is on disk), and the page cache holds everything written until then — on a machine with
 * plenty of memory the kernel starts no writeback of its own, so the whole file was written out at that last
 * moment (0.15 s for 256 MiB, 0.45 s for 1 GiB here). Asking for an fdatasync in the background after every
 * WRITEBACK_STEP_BYTES written lets the disk work while the network does, and leaves the last one only the tail.
 *
 * At most one runs at a time and nothing waits for it, except `settle()`. A failure is kept and returned by
 * `settle()`: on Linux an fsync error is reported once per open file, so the final fdatasync could succeed after a
 * background one failed, and the rename must not follow that.
 */

/** Bytes written between two background fdatasyncs. */
export const WRITEBACK_STEP_BYTES = 32 * 1024 * 1024;

export class WritebackAhead {
  readonly #sync: () => Promise<void>;
  readonly #step: number;
  #sinceLast = 0;
  #running: Promise<void> | undefined;
  #failure: unknown;

  constructor(sync: () => Promise<void>, step = WRITEBACK_STEP_BYTES) {
    this.#sync = sync;
    this.#step = step;
  }

  /** `bytes` more reached the page cache; starts a background fdatasync when a step's worth has. */
  wrote(bytes: number): void {
    this.#sinceLast += bytes;
    if (this.#sinceLast < this.#step || this.#running !== undefined || this.#failure !== undefined) return;
    this.#sinceLast = 0;
    const run = this.#sync().then(
      () => undefined,
      (error: unknown) => {
        this.#failure ??= error;
      },
    );
    this.#running = run;
    void run.finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
  }

  /** Wait for a background fdatasync still running; its failure, if any (kept until the file is done). */
  async settle(): Promise<unknown> {
    await this.#running;
    return this.#failure;
  }
}
