/** How every field of the job schema words its error, and how it shows the value it got. */

export type Check = { error: (issue: { input?: unknown }) => string | undefined };

/** Every check of a field reports the same sentence; `undefined` input (a missing key) falls through to "required". */
export function said(message: (input: unknown) => string): Check {
  return { error: (issue) => (issue.input === undefined ? undefined : message(issue.input)) };
}

/** How a value found in the file is shown after "got": strings quoted and cut short, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value (null)';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
