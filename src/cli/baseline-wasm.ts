/**
 * undici parses HTTP with llhttp, compiled to WebAssembly when the first connection opens. V8 compiles it twice: at
 * once with its baseline compiler (Liftoff), then again in the background with its optimizing one (TurboFan), which
 * costs every pdl run about 35 MB of memory and 0.08 CPU-s (measured: bench/RESULTS.md, issue 12 data path). The
 * parser's work per body chunk is small (it counts the bytes and hands over a view), so the baseline code is plenty.
 * The flag is process-wide, so the CLI sets it, not the library: an embedding program keeps V8's defaults.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
