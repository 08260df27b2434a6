/**
 * lstat where a missing path is an answer, not an error. A big job asks this once per file (is the output there
 * already?) and the answer is nearly always "no": fs/promises turns every ENOENT into an error with a captured async
 * stack trace, 30–45 µs of CPU per call here; the callback API makes its error from the event loop, with no stack to
 * speak of (about half that). Still one thread-pool call, never a blocking one on the main thread (network file
 * systems).
 */
import { lstat, type Stats } from 'node:fs';

export function lstatIfPresent(path: string): Promise<Stats | undefined> {
  return new Promise((resolve, reject) => {
    lstat(path, (error, stats) => {
      if (!error) resolve(stats);
      else if (error.code === 'ENOENT') resolve(undefined);
      else reject(error);
    });
  });
}
