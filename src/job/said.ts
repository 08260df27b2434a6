/** How every field of the job schema words its error. */

export type Check = { error: (issue: { input?: unknown }) => string | undefined };

/** Every check of a field reports the same sentence; `undefined` input (a missing key) falls through to "required". */
export function said(message: (input: unknown) => string): Check {
  return { error: (issue) => (issue.input === undefined ? undefined : message(issue.input)) };
}
