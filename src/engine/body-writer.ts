/**
 * The per-chunk hot path: copy network chunks into a large buffer and write it at its offset, double-buffered
 * so one positional write runs on libuv's thread pool while the next buffer fills. Network chunks are ~16–64 KiB;
 * large writes are what make a downloader fast (see BENCHMARKING.md), and the await on the previous write is the
 * backpressure that keeps memory bounded. ChunkReader, at the end, is the other half: taking chunks off the
 * response without losing the ones that arrived just before the connection failed.
 */

export const WRITE_BUFFER_SIZE = 512 * 1024;

export interface ByteSink {
  /** Positional write of buffer[0..length) at position. */
  write(buffer: Buffer, length: number, position: number): Promise<void>;
  /** Called after bytes [start, end) reached the file. */
  written(start: number, end: number): void;
}

/** The mutable range a connection is filling. `end` may shrink while it runs (another connection took the tail). */
export interface RangeCursor {
  /** Next byte to receive. */
  position: number;
  /** Exclusive end; Infinity when the size is unknown. */
  end: number;
  /** Time of the last received chunk (ms); the stall watchdog reads it. */
  lastByteAt: number;
  /** True while waiting on the disk or the rate limiter: the watchdog must not count that as a stall. */
  paused: boolean;
  /** Bytes received in total by this cursor (for speed). */
  received: number;
}

export class BodyWriter {
  #buffers: [Buffer, Buffer];
  #current = 0;
  #fill = 0;
  #pending: Promise<void> | undefined;
  #error: unknown;

  constructor(
    private readonly sink: ByteSink,
    private readonly cursor: RangeCursor,
    bufferSize = WRITE_BUFFER_SIZE,
  ) {
    this.#buffers = [Buffer.allocUnsafe(bufferSize), Buffer.allocUnsafe(bufferSize)];
  }

  /**
   * Take as much of `chunk` as the range still wants. Returns false when the range is full (the caller stops
   * reading). Awaits the disk only when both buffers are busy.
   */
  async push(chunk: Uint8Array): Promise<boolean> {
    const cursor = this.cursor;
    let offset = 0;
    while (offset < chunk.length) {
      const wanted = cursor.end - cursor.position;
      if (wanted <= 0) return false;
      const buffer = this.#buffers[this.#current]!;
      const n = Math.min(chunk.length - offset, wanted, buffer.length - this.#fill);
      buffer.set(n === chunk.length && offset === 0 ? chunk : chunk.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      offset += n;
      cursor.position += n;
      cursor.received += n;
      if (this.#fill === buffer.length) await this.#flush();
    }
    return cursor.position < cursor.end;
  }

  /** Write what is buffered and wait for every write; rethrows a write error. */
  async drain(): Promise<void> {
    await this.#flush();
    await this.#settle();
  }

  async #flush(): Promise<void> {
    if (this.#fill === 0) return;
    await this.#settle();
    const buffer = this.#buffers[this.#current]!;
    const length = this.#fill;
    const position = this.cursor.position - length;
    this.#current ^= 1;
    this.#fill = 0;
    this.#pending = this.sink.write(buffer, length, position).then(
      () => this.sink.written(position, position + length),
      (error: unknown) => {
        this.#error ??= error;
      },
    );
  }

  async #settle(): Promise<void> {
    if (this.#pending) {
      this.cursor.paused = true;
      await this.#pending;
      this.#pending = undefined;
      this.cursor.paused = false;
      this.cursor.lastByteAt = Date.now();
    }
    if (this.#error !== undefined) throw this.#error;
  }
}

/** The part of a response body ChunkReader needs (undici's BodyReadable is one). */
export interface ChunkSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * Reads a response body in flowing mode into a short queue of its own. undici destroys the body stream when the
 * connection fails and drops what the stream still buffered; chunks already handed over here survive, so the
 * bytes that really arrived before a reset are written and the retry continues after them. Start it before any
 * await once the response is in, or chunks may pile up (and be lost) in the stream meanwhile.
 */
export class ChunkReader {
  #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #failed = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(
    private readonly source: ChunkSource,
    /** Queued bytes at which the source is paused (its own buffer then fills and undici stops reading the socket). */
    private readonly limit = 256 * 1024,
  ) {
    source.on('data', (chunk) => {
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued >= this.limit) source.pause();
      this.#notify();
    });
    source.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    source.on('error', (error) => this.#stop(error));
    source.on('close', () => {
      if (!this.#ended) this.#stop(new Error('the response body closed before its end'));
    });
  }

  /** The next chunk; undefined at the end of the body; throws the body's error once every chunk before it was read. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.length;
        if (this.#queued < this.limit && !this.#ended && !this.#failed) this.source.resume();
        return chunk;
      }
      if (this.#failed) throw this.#error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #stop(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
