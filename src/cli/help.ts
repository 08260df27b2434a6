/** Help texts, kept apart from the code that parses flags so they read as documentation. */

export function mainHelp(): string {
  return `pdl — a parallel downloader driven by job files

Usage:
  pdl run <job.yaml> [options]     download every file of a job (see 'pdl run --help')
  pdl get <url> [options]          download one URL the same way (see 'pdl get --help')
  pdl plan <job.yaml> [options]    ask the servers (no bodies) what a run would do to each file, and how many bytes
  pdl validate <job.yaml>          check a job file; list every problem with line:column
  pdl schema                       print the job file's JSON Schema (for editors)
  pdl init [jobs.yaml] [--force]   write a commented starter job and the schema its first line names
  pdl lock <job.yaml>              run the job and write <job>.lock.yaml (sizes, sha256) to commit
  pdl pin <job.yaml>               add checksum: sha256:… to entries without one, in the job file
  pdl --version | --help

Exit codes: 0 ok · 1 some files failed · 2 usage or job-file error · 3 integrity (checksum, changed file)
            4 network, timeouts, HTTP errors · 5 server protocol violation · 6 local I/O
            7 another pdl run is using the output folder · 8 stopped by --max-runtime · 130/143 interrupted
`;
}

export const runHelp = `Usage: pdl run <job.yaml> [options]

Downloads every file of the job: across files first (limits.files), then across byte ranges of the files in
flight, within limits.connections and limits.perHost.

Options:
  --dir <path>            output root (overrides defaults.dir; relative to the current folder)
  --files <n>             files in flight at once (limits.files)
  --connections <n>       open connections in total (limits.connections)
  --rate <size>           cap on the total rate, e.g. 20MiB (per second); 0 = unlimited
  --only <glob>           only output paths matching the glob (repeatable; * within a folder, ** across)
  --fail-fast             stop everything at the first failed file
  --newer                 re-check existing files with the server and fetch only what changed (ifExists: newer)
  --frozen                check every file against <job>.lock.yaml (pdl lock): its sha256 is the checksum,
                          a file missing from the lock or another size or digest is exit 3
  --dry-run               print the resolved plan in start order and exit without touching the network
  --max-runtime <dur>     stop cleanly after this long (e.g. 50m), progress saved; exit code 8
  --report <path>         write a JSON report of the run there (also when it fails or is stopped)
  --reporter <kind>       tty | plain | json (default: tty on a terminal, plain otherwise)
  --quiet                 only failures and the final summary
  --verbose               more detail; full errors with stacks
  -h, --help              this help

Only one pdl run at a time may use an output folder: it holds <dir>/.pdl-run.lock while it runs, and a second
run exits with code 7 naming the holder's pid. A lock left by a run that died is taken over.
`;

export const getHelp = `Usage: pdl get <url> [options]

Downloads one URL like a one-file job: segmented, resumable, verified.

Options:
  -c, --connections <n>   byte-range connections (default 8; 1 = never split)
  -o, --output <path>     output file, or an existing folder (default: the URL's file name, here)
  --checksum <alg:hex>    sha256 | sha512 | sha1 | md5, verified before the file is presented
  -H, --header <h>        request header 'Name: value' (repeatable)
  --timeout <duration>    drop and retry a connection silent this long (default 30s)
  --retries <n>           attempts per request after the first (default 5)
  --min-split-size <size> never split into ranges smaller than this (default 4MiB)
  --if-exists <mode>      resume | skip | overwrite | fail (default resume)
  --reporter <kind>       tty | plain | json
  --quiet, --verbose
  -h, --help              this help
`;

export const validateHelp = `Usage: pdl validate <job.yaml>

Checks a job file and prints a one-line summary (files, hosts), or every problem as file:line:column.
Exit code 0 when valid, 2 otherwise.
`;

export const planHelp = `Usage: pdl plan <job.yaml> [options]

Prints what 'pdl run' would do to each file, without writing anything: download (size), resume (bytes left),
unchanged (304 or checksum match), repair (the local copy differs from what pdl wrote), reuse (a verified copy
with the declared sha256 is on disk), skip, or fail (why); then the total bytes to transfer. Each server gets one
request per file (Range: bytes=0-0, conditional for ifExists: newer) whose body is not read.

Options:
  --dir <path>            output root (overrides defaults.dir; relative to the current folder)
  --only <glob>           only output paths matching the glob (repeatable)
  --newer                 plan as 'pdl run --newer' would run (ifExists: newer for every file)
  --verbose               full errors with stacks
  -h, --help              this help

Exit code 0 when the plan was made (whatever it says), 2 for a bad job file.
`;

export const schemaHelp = `Usage: pdl schema

Prints the JSON Schema of job files (the same as schemas/job.schema.json).
`;

export const initHelp = `Usage: pdl init [jobs.yaml] [--force]

Writes a commented starter job (default jobs.yaml) and, in the same folder, pdl.schema.json: the job's first
line names that schema, so editors using yaml-language-server (VS Code's YAML extension and others) validate the
job and explain every field on hover. Existing files are never replaced (exit 2, nothing written) unless --force.

Options:
  --force                 replace jobs.yaml and pdl.schema.json if they exist
  -h, --help              this help
`;

const observedOptions = `Options (as for pdl run):
  --dir <path>            output root (overrides defaults.dir; relative to the current folder)
  --files <n>, --connections <n>, --rate <size>
  --newer                 ifExists: newer for every file (also records ETag/Last-Modified in .pdl-state.json)
  --reporter <kind>, --quiet, --verbose
  -h, --help              this help
`;

export const lockHelp = `Usage: pdl lock <job.yaml> [options]

Runs the job like pdl run (downloads what is missing; a complete local copy is read and hashed, not fetched) and
writes <job>.lock.yaml beside the job file: for every file, in job order, its output path, the URL as written,
the final URL after redirects (when known and free of secrets), size, ETag and Last-Modified (when the output
folder keeps .pdl-state.json, i.e. uses ifExists: newer) and sha256. Commit it; 'pdl run --frozen' checks
downloads against it. Nothing is written unless every file ends well.

${observedOptions}`;

export const pinHelp = `Usage: pdl pin <job.yaml> [options]

Adds 'checksum: sha256:<hex>' to every entry of the job file that has no checksum, learning the digests like
pdl lock (download, or hash a complete local copy). Only the new lines change; comments and layout stay. A
short-form entry (a bare URL) becomes '- url: <URL>' with the checksum on the next line. The job file is
replaced atomically, and only when every file ended well.

${observedOptions}`;
