/**
 * The text of `pdl --help`, apart from the per-command help texts (help.ts): those take option lines from the option
 * table and with it zod, and the binary answers `--help` without loading any of that.
 */

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
  pdl status <job.yaml> --queue U  where a job shared through Redis stands (see 'pdl status --help')
  pdl --version | --help

Exit codes: 0 ok · 1 some files failed · 2 usage or job-file error · 3 integrity (checksum, changed file)
            4 network, timeouts, HTTP errors · 5 server protocol violation · 6 local I/O
            7 another pdl run is using the output folder · 8 stopped by --max-runtime · 9 Redis (--queue)
            unreachable or lost · 130/143 interrupted
`;
}
