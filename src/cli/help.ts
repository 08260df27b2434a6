/** Help texts, kept apart from the code that parses flags so they read as documentation; option lines come from args.ts. */
import { COMMAND_OPTIONS, optionsHelp } from './args.js';

const output = `Progress (the live display, or plain lines) goes to stderr; the final summary and the list of failed files
are results and go to stdout, so 'pdl run jobs.yaml | tee log' keeps them. --reporter json writes every event and
the summary (with the exit code) as JSON lines to stdout.
`;

export function runHelp(): string {
  return `Usage: pdl run <job.yaml> [options]

Downloads every file of the job: across files first (limits.files), then across byte ranges of the files in
flight, within limits.connections and limits.perHost. -c, --timeout, --retries and --min-split-size apply to
every file of the job, over its defaults and per-file keys.

Options:
${optionsHelp(COMMAND_OPTIONS.run)}
${output}
Only one pdl run at a time may use an output folder: it holds <dir>/.pdl-run.lock while it runs, and a second
run exits with code 7 naming the holder's pid. A lock left by a run that died is taken over.

Several machines: --shard i/n takes the files whose output path hashes to shard i, so n runs cover the job once.
--queue redis://host:port/db makes this process one worker of a job shared through Redis (BullMQ): workers on any
machine take files one by one, take over a dead worker's files, and each exits when the whole job is finished, with
the whole job's exit code (9 when Redis is unreachable or lost). Password: PDL_REDIS_PASSWORD (PDL_REDIS_USERNAME).
`;
}

export function statusHelp(): string {
  return `Usage: pdl status <job.yaml> --queue <url> [--json]

Where a job shared with 'pdl run --queue' stands: files done, failed (with reasons), pending and active, and per
worker. Reads the queue only; takes no part in the job. --json prints one object with done, failed, pending,
active, files, failures and workers.

Options:
${optionsHelp(COMMAND_OPTIONS.status)}
Exit code 0 when the status was read, 9 when Redis cannot be reached.
`;
}

export function getHelp(): string {
  return `Usage: pdl get <url> [options]

Downloads one URL (http, https, sftp, ftp, ftps) like a one-file job: segmented, resumable, verified. The options mean what they mean for
'pdl run'.

Options:
${optionsHelp(COMMAND_OPTIONS.get, { connections: '(default 8)' })}
${output}`;
}

export const validateHelp = `Usage: pdl validate <job.yaml>

Checks a job file and prints a one-line summary (files, hosts), or every problem as file:line:column.
Exit code 0 when valid, 2 otherwise.
`;

export function planHelp(): string {
  return `Usage: pdl plan <job.yaml> [options]

Prints what 'pdl run' would do to each file, without writing anything: download (size), resume (bytes left),
unchanged (304 or checksum match), repair (the local copy differs from what pdl wrote), reuse (a verified copy
with the declared sha256 is on disk), skip, or fail (why); then the total bytes to transfer and how many files
would fail. Each server gets one request per file (Range: bytes=0-0, conditional for ifExists: newer) whose body
is not read.

Options:
${optionsHelp(COMMAND_OPTIONS.plan)}
Exit code 0 when the plan was made (whatever it says, failing files included), 2 for a bad job file.
`;
}

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

const observedOptions = () => `Options (as for pdl run):
${optionsHelp(COMMAND_OPTIONS.lock)}`;

export function lockHelp(): string {
  return `Usage: pdl lock <job.yaml> [options]

Runs the job like pdl run (downloads what is missing; a complete local copy is read and hashed, not fetched) and
writes <job>.lock.yaml beside the job file: for every file, in job order, its output path, the URL as written,
the final URL after redirects (when known and free of secrets), size, ETag and Last-Modified (when the output
folder keeps .pdl-state.json, i.e. uses ifExists: newer) and sha256. Commit it; 'pdl run --frozen' checks
downloads against it. Nothing is written unless every file ends well.

${observedOptions()}`;
}

export function pinHelp(): string {
  return `Usage: pdl pin <job.yaml> [options]

Adds 'checksum: sha256:<hex>' to every entry of the job file that has no checksum, learning the digests like
pdl lock (download, or hash a complete local copy). Only the new lines change; comments and layout stay. A
short-form entry (a bare URL) becomes '- url: <URL>' with the checksum on the next line. The job file is
replaced atomically, and only when every file ended well.

${observedOptions()}`;
}
