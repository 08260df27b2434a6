/** What a file in flight gets from its run. */
import type { ResolvedFile } from '../job/resolved.js';
import type { ByteSource } from '../sources/source.js';
import type { OutputDir } from '../storage/output-dir.js';
import type { EngineEmitter } from './events.js';
import type { FileHooks } from './hooks.js';

export interface FileTaskContext {
  events: EngineEmitter;
  /** The output root: nothing is written outside it. */
  output: OutputDir;
  /** Where this file's bytes come from. */
  source(file: ResolvedFile): ByteSource;
  hooks: FileHooks;
  /** Shared rate limiter, or undefined when unlimited. */
  rateLimit: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** Aborted when the whole run stops (Ctrl-C, --fail-fast, --max-runtime). */
  runSignal: AbortSignal;
  /** A connection of this task ended: its slot is free. */
  released(task: { readonly host: string; readonly failed: boolean }): void;
  /** The task can use more connections now. */
  wake(): void;
}
