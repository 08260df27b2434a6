/**
 * Large socket reads for plain-TCP connections. Node reads a socket 64 KiB at a time, and every read is a chunk
 * that travels through undici's parser, the body stream and the engine's pump: on loopback that per-chunk work, not
 * the copying, is most of pdl's CPU per GiB. With `onread`, the socket reads straight into memory we hand it, so a
 * read takes whatever the kernel holds, up to the free space of a 512 KiB slab (BENCHMARKING.md: few, large syscalls).
 *
 * Each read's bytes are pushed into the socket's own stream as a view of the slab (no copy), so undici reads the
 * socket exactly as before, and a push over the stream's high-water mark stops reading (backpressure, as Node does for
 * its own reads). A slab is used front to back and never reused: the views handed out keep it alive until the last
 * of them was written and dropped; then the garbage collector frees it.
 */
import type { Socket } from 'node:net';

/** Reads go into one slab until less than MIN_READ_BYTES of it is left. */
export const SLAB_BYTES = 512 * 1024;
export const MIN_READ_BYTES = 64 * 1024;

export interface OnRead {
  buffer: () => Uint8Array;
  callback: (this: Socket, bytesRead: number, buffer: Uint8Array) => boolean;
}

/** `net.connect`'s `onread` for ONE socket: its slab is its own (Node asks for the next buffer without naming the socket). */
export function largeReads(slabBytes = SLAB_BYTES, minRead = MIN_READ_BYTES): OnRead {
  let slab = Buffer.allocUnsafeSlow(slabBytes);
  let used = 0;
  return {
    buffer() {
      if (slabBytes - used < minRead) {
        slab = Buffer.allocUnsafeSlow(slabBytes);
        used = 0;
      }
      return slab.subarray(used);
    },
    callback(bytesRead, buffer) {
      // `buffer` is the region handed out last; its first bytes are taken for good.
      used += bytesRead;
      return this.push(Buffer.from(buffer.buffer, buffer.byteOffset, bytesRead));
    },
  };
}
