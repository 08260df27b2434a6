/** What a file in flight gets from its run. */
import type { ResolvedFile } from '../job/resolved.js';
import type { ByteSource } from '../sources/source.js';
import type { OutputDir } from '../storage/output-dir.js';
import type { EngineEmitter } from './events.js';
import type { FileHooks } from './hooks.js';
import type { SplitRules } from './split-policy.js';

export interface FileTaskContext {
  events: EngineEmitter;
  /** The output root: nothing is written outside it. */
  output: OutputDir;
  /** Where this file's bytes come from. */
  source(file: ResolvedFile): ByteSource;
  hooks: FileHooks;
  /** Shared rate limiter, or undefined when unlimited. */
  rateLimit: ((bytes: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** The splitting rules before a file's own floor (split-policy.ts). */
  splitRules: SplitRules;
  /** Aborted when the whole run stops (Ctrl-C, --fail-fast, --max-runtime). */
  runSignal: AbortSignal;
  /**
   * A connection of this task ended (or a slot held for one was not used): its slot on `slot.host` (where the
   * scheduler reserved it) is free; `answered`: the host had answered that connection.
   */
  released(task: { readonly failed: boolean }, slot: { readonly host: string; readonly answered?: boolean }): void;
  /** The host answered a connection of this task for the first time. */
  hostAnswered(host: string): void;
  /** An attempt to `host` failed with `reason`: true when the host is at its connection cap (shed the connection). */
  hostRefused(host: string, reason: unknown, answered: boolean): boolean;
  /** The task can use more connections now. */
  wake(): void;
}
