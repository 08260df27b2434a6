/**
 * Renews this worker's leases (register entry, host slots) and watches Redis: a loss is declared only when no
 * renewal has succeeded for a whole lease, so a blip of a second or two costs nothing.
 */
import type { Leases } from './leases.js';

export interface HeartbeatOptions {
  leases: Leases;
  intervalMs: number;
  leaseMs: number;
  onWorkers(count: number): void;
  onLost(error: unknown): void;
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #lastOk = Date.now();
  #busy = false;
  #lost = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** The first beat must succeed: the worker registers before it takes any file. */
  async start(): Promise<void> {
    this.#options.onWorkers(await this.#options.leases.heartbeat());
    this.#lastOk = Date.now();
    this.#timer = setInterval(() => void this.#beat(), this.#options.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #beat(): Promise<void> {
    if (this.#busy || this.#lost) return;
    this.#busy = true;
    try {
      this.#options.onWorkers(await this.#options.leases.heartbeat());
      this.#lastOk = Date.now();
    } catch (error) {
      if (Date.now() - this.#lastOk > this.#options.leaseMs) {
        this.#lost = true;
        this.stop();
        this.#options.onLost(error);
      }
    } finally {
      this.#busy = false;
    }
  }
}
