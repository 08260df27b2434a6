/**
 * The full parse of a job file's text: `yaml`'s Document for every node's position, and the zod schema, so that every
 * problem is reported at once and pinned to `file:line:column`. The loader (load.ts) comes here only when its fast
 * path cannot answer, so a plain job loads neither package.
 */
import { LineCounter } from 'yaml';
import { JobFileError, type JobIssue } from '../errors.js';
import type { ResolvedJob } from './resolved.js';
import { checkJob, finish, formatPath } from './check.js';
import { JOB_FILE_MAX_BYTES, tooLarge, type ParseOptions } from './job-file.js';
import { offsetOf, parseYaml } from './yaml.js';
import { quickYaml } from './yaml-budget.js';

/** parseJobText without the file: YAML text in, ResolvedJob out. Pure apart from path.resolve. */
export function parseJobText(text: string, options: ParseOptions): ResolvedJob {
  if (Buffer.byteLength(text) > JOB_FILE_MAX_BYTES) throw new JobFileError(options.fileName, finish([tooLarge()]));
  return parseCheckedText(text, options, quickYaml(text));
}

/**
 * The rest of parseJobText once the text is known to be within the size limit and `quick` is what quickYaml made of
 * it. Most job files are plain block YAML: their values without yaml's Document. Any problem is reported from the
 * full parse, which has every node's position.
 */
export function parseCheckedText(text: string, options: ParseOptions, quick: { value: unknown } | undefined): ResolvedJob {
  const fail = (issues: JobIssue[]) => new JobFileError(options.fileName, finish(issues));
  if (quick !== undefined) {
    const checked = checkJob(quick.value, { ...options, expandEnv: true });
    if (checked.ok) return checked.job;
  }
  const lineCounter = new LineCounter();
  const parsed = parseYaml(text, lineCounter);
  if (!parsed.ok) throw fail(parsed.issues);
  const checked = checkJob(parsed.value, { ...options, expandEnv: true });
  if (checked.ok) return checked.job;
  throw fail(checked.issues.map((issue) => {
    const { line, col } = lineCounter.linePos(offsetOf(parsed.doc, issue));
    return { line, column: col, path: formatPath(issue.path), message: issue.message };
  }));
}
