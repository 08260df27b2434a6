/**
 * pdl's public API: load and resolve job files, run them, download one URL, and the events and errors involved.
 * The CLI is a thin layer over exactly this.
 */
export { loadJobFile, summarizeJob } from './job/load.js';
export { parseJobText } from './job/parse-job.js';
export { resolveJobObject } from './job/check.js';
export { jobJsonSchema } from './job/schema.js';
export { parseDuration, parseSize } from './job/units.js';
export type { Checksum, ChecksumAlgorithm, ChecksumListRef, IfExists, ResolvedFile, ResolvedJob, ResolvedLimits } from './job/resolved.js';
export { runJob, type RunOptions } from './run-job.js';
export { download, type DownloadOptions } from './download.js';
export { EngineEmitter } from './engine/events.js';
export type { EngineEvents, EngineEventName, FileResult, FileOutcome, RunSummary } from './engine/events.js';
export { createDispatcher, type DispatcherOptions } from './http/agent.js';
export type { ProxySettings } from './http/proxy.js';
export { createReporter, type ReporterKind } from './report/index.js';
export type { Reporter, ReporterOptions } from './report/reporter.js';
export * from './errors.js';
export { exitCodeOf } from './exit-codes.js';
export { internalError, toLocalIOError, withMessage } from './error-wrap.js';
