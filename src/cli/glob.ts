/**
 * `--only` patterns on output paths, with picomatch: `*` within a folder, `**` across, `?`, braces `{iso,img}`,
 * classes `[lm]`, and `!` to exclude. A pattern without a slash matches the file name in any folder (like
 * .gitignore). A path is selected when it matches some positive pattern (or there is none) and no negative one.
 */
import picomatch from 'picomatch';

export type PathMatcher = (path: string) => boolean;

export function pathMatcher(patterns: readonly string[]): PathMatcher {
  const compile = (pattern: string) => picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
  const positive = patterns.filter((p) => !p.startsWith('!')).map(compile);
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => compile(p.slice(1)));
  return (path) => (positive.length === 0 || positive.some((m) => m(path))) && !negative.some((m) => m(path));
}

export function matchesAny(path: string, patterns: readonly string[]): boolean {
  return pathMatcher(patterns)(path);
}
