/**
 * A body that tells its mirror what it carried: bytes and the time they took (a mirror's measured throughput per
 * connection), and whether it ended cleanly. The counting listener is the reader's own listener wrapped, so no
 * chunk is read before the engine reads it.
 */
import type { SourceBody } from '../source.js';

export interface BodyMeter {
  bytes(count: number): void;
  /** The body ended or was closed; `ms` it was open. */
  ended(clean: boolean, ms: number): void;
}

export function meteredBody(body: SourceBody, meter: BodyMeter, now: () => number = Date.now): SourceBody & { finish(clean: boolean): void } {
  const opened = now();
  let done = false;
  const finish = (clean: boolean) => {
    if (done) return;
    done = true;
    meter.ended(clean, now() - opened);
  };
  const wrapped = {
    on(event: string, listener: (...args: never[]) => void): unknown {
      if (event === 'data') {
        const reader = listener as (chunk: Buffer) => void;
        body.on('data', (chunk: Buffer) => {
          meter.bytes(chunk.length);
          reader(chunk);
        });
      } else if (event === 'end') {
        body.on('end', () => {
          finish(true);
          (listener as () => void)();
        });
      } else {
        body.on(event as 'close', listener as () => void);
      }
      return wrapped;
    },
    pause: () => body.pause(),
    resume: () => body.resume(),
    finish,
  };
  return wrapped as SourceBody & { finish(clean: boolean): void };
}
