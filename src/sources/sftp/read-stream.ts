/**
 * A byte range of an open SFTP file as a stream, with many reads in flight at once: one read at a time waits a
 * round trip per chunk, which caps a fast link at chunk/RTT. Results are delivered in order; a short read (servers
 * cap read sizes) asks again for the rest at once. At most DEPTH×CHUNK bytes are buffered.
 */
import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

const CHUNK = 64 * 1024;
const DEPTH = 32;

interface Slot {
  position: number;
  length: number;
  done: boolean;
  error: unknown;
  data: Buffer;
}

export class PipelinedRead extends Readable {
  readonly #sftp: SFTPWrapper;
  readonly #handle: Buffer;
  readonly #end: number;
  readonly #slots: Slot[] = [];
  #next: number;
  #wanted = false;

  constructor(sftp: SFTPWrapper, handle: Buffer, start: number, end: number) {
    super({ highWaterMark: CHUNK });
    this.#sftp = sftp;
    this.#handle = handle;
    this.#next = start;
    this.#end = end;
  }

  override _read(): void {
    this.#wanted = true;
    this.#deliver();
  }

  #issue(position: number, length: number): Slot {
    const slot: Slot = { position, length, done: false, error: undefined, data: Buffer.alloc(0) };
    const buffer = Buffer.allocUnsafe(length);
    this.#sftp.read(this.#handle, buffer, 0, length, position, (error, bytesRead) => {
      slot.done = true;
      slot.error = error ?? undefined;
      slot.data = buffer.subarray(0, bytesRead ?? 0);
      if (!this.destroyed) this.#deliver();
    });
    return slot;
  }

  #deliver(): void {
    while (this.#wanted && !this.destroyed) {
      while (this.#slots.length < DEPTH && this.#next < this.#end) {
        const length = Math.min(CHUNK, this.#end - this.#next);
        this.#slots.push(this.#issue(this.#next, length));
        this.#next += length;
      }
      const head = this.#slots[0];
      if (head === undefined) return void this.push(null);
      if (!head.done) return;
      this.#slots.shift();
      if (head.error !== undefined) return void this.destroy(head.error as Error);
      // End of file before the range's end: the file shrank. The engine sees the short body and judges it.
      if (head.data.length === 0) return void this.push(null);
      if (head.data.length < head.length) this.#slots.unshift(this.#issue(head.position + head.data.length, head.length - head.data.length));
      this.#wanted = this.push(head.data);
    }
  }
}
