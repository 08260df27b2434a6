/**
 * What `pdl init` writes: a commented job that validates as is, and whose first line points editors at the schema
 * file written beside it, so validation and hover work from the user's own folder.
 */

/** The schema file's name, in the job file's folder. */
export const STARTER_SCHEMA_NAME = 'pdl.schema.json';

export function starterJob(): string {
  return `# yaml-language-server: $schema=./${STARTER_SCHEMA_NAME}
#
# A pdl job: the files to download, where to put them and how hard to try. Edit the URLs, then
#   pdl validate <this file>     check it without downloading
#   pdl run <this file>          download; run it again to resume anything interrupted
#
# Sizes take bytes or units (4MiB, 512KiB, 1.5GB); durations take milliseconds or units (500ms, 30s, 2m).
# \${VAR} in URLs and header values comes from the environment; write $\${ for a literal \${.
version: 1

defaults:
  dir: ./downloads      # relative to this file's folder; nothing is written outside it
  connections: 8        # byte-range connections per file (1 = never split)
  retries: 5            # attempts per request after the first
  timeout: 30s          # drop and retry a connection that delivers nothing for this long
  ifExists: resume      # resume | skip | overwrite | fail | newer

limits:
  files: 4              # files in flight at once
  perHost: 8            # open connections to one host
  rate: 0               # bytes per second over the whole run, e.g. 20MiB; 0 = unlimited

files:
  # The long form: per-file settings and a checksum, verified before the file is presented as complete.
  - url: https://example.org/releases/tool-1.0.tar.gz
    path: tool/tool-1.0.tar.gz
    priority: 10        # higher starts first
    # checksum: sha256:<64 hex digits>   (or sha256:file:https://example.org/releases/SHA256SUMS)

  # The short form: just a URL; the file name comes from its last path segment.
  - https://example.org/releases/README.txt
`;
}
