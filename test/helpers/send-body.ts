/**
 * Writes a response body of deterministic content, honouring backpressure, optional throttling and the
 * body-level faults (reset, stall, short, long). Every wait also ends when the response closes, so a
 * client going away or the server closing never leaves a timer or a promise behind.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { contentBytes } from './content.js';
import type { BodyFault } from './faults.js';

/** Largest slice handed to res.write at once. */
const MAX_SLICE = 256 * 1024;

export interface BodyPlan {
  seed: string;
  /** The whole file's bytes, served instead of generated content. */
  fixed?: Buffer;
  /** File offset of the first body byte. */
  start: number;
  /** Body bytes the response announces (and sends, unless a fault says otherwise). */
  length: number;
  /** Bytes per second for this response; undefined = as fast as the socket takes them. */
  throttle: number | undefined;
  fault: BodyFault | undefined;
  /** Called with every slice handed to the socket (body bytes only). */
  onBytes(count: number): void;
}

function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.socket === null || res.socket.destroyed;
}

/** Resolves after `ms` or when `res` closes, whichever comes first; ms = Infinity waits for the close. */
function sleep(res: ServerResponse, ms: number): Promise<void> {
  if (isGone(res)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
    res.once('close', done);
  });
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Resolves once everything written so far has left the socket's user-space buffer (or the socket died). */
function flushed(socket: Socket): Promise<void> {
  if (socket.destroyed || socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    socket.write(Buffer.alloc(0), () => resolve());
  });
}

function sliceSize(throttle: number | undefined): number {
  // ~20 slices per second keeps the pacing smooth without a timer per KiB.
  return throttle === undefined ? MAX_SLICE : Math.max(1024, Math.min(64 * 1024, Math.round(throttle / 20)));
}

/** Past the end of fixed bytes there is nothing, not generated content (a `long` fault then adds no bytes). */
function bytesAt(plan: BodyPlan, offset: number, length: number): Buffer {
  return plan.fixed ? plan.fixed.subarray(offset, offset + length) : contentBytes(plan.seed, offset, length);
}

export async function sendBody(res: ServerResponse, plan: BodyPlan): Promise<void> {
  const { fault, throttle } = plan;
  const cutAt = fault?.type === 'reset' ? fault.afterBytes : fault?.type === 'short' ? fault.bytes : undefined;
  const limit = cutAt === undefined ? plan.length : Math.min(cutAt, plan.length);
  let stallAt = fault?.type === 'stall' ? Math.min(fault.afterBytes, plan.length) : undefined;
  const slice = sliceSize(throttle);
  const began = performance.now();
  let sent = 0;

  // Headers go out now, so a fault at byte 0 still shows the client a response head.
  res.flushHeaders();
  while (!isGone(res)) {
    if (stallAt !== undefined && sent >= stallAt) {
      stallAt = undefined;
      await sleep(res, fault?.type === 'stall' ? fault.ms ?? Infinity : 0);
      continue;
    }
    if (sent >= limit) break;
    const n = Math.min(limit - sent, slice, stallAt === undefined ? Infinity : stallAt - sent);
    const ok = res.write(bytesAt(plan, plan.start + sent, n));
    sent += n;
    plan.onBytes(n);
    if (!ok) await drained(res);
    if (throttle !== undefined && sent < limit) {
      await sleep(res, began + (sent / throttle) * 1000 - performance.now());
    }
  }
  const socket = res.socket;
  if (isGone(res) || socket === null) return;

  if (fault?.type === 'reset') {
    await flushed(socket);
    if (fault.rst === true) socket.resetAndDestroy();
    else socket.destroy();
    return;
  }
  if (fault?.type === 'short') {
    // Half-close after the bytes drain: the client sees a clean EOF before Content-Length is reached.
    socket.end();
    return;
  }
  res.end();
  if (fault?.type === 'long' && fault.inContentLength !== true && fault.extra > 0) {
    // Bytes past the announced end, outside HTTP framing; then close so nothing parses them as a new response.
    socket.write(bytesAt(plan, plan.start + plan.length, fault.extra));
    plan.onBytes(fault.extra);
    socket.end();
  }
}
