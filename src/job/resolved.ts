/**
 * The normalised job: every default applied, units parsed, paths absolute and checked, ${VAR}s expanded.
 * This is the only form of a job the engine ever sees; `pdl get` builds one directly.
 */

/** `newer`: keep a file the server says is unchanged (conditional GET), replace it atomically otherwise. */
export type IfExists = 'resume' | 'skip' | 'overwrite' | 'fail' | 'newer';

export type ChecksumAlgorithm = 'sha256' | 'sha512' | 'sha1' | 'md5';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  hex: string;
}

/**
 * `sha256:file:<url>`: the digest is the file's line in a checksum list (SHA256SUMS). The run fetches each list once,
 * before any file starts, and fills in `ResolvedFile.checksum` (see engine/checksum-lists.ts).
 */
export interface ChecksumListRef {
  algorithm: 'sha256' | 'sha512';
  /** The list's URL, ${VAR}s expanded. Never print it: use `displayUrl`. */
  url: string;
  /** As written (${VAR} unexpanded, credentials masked). */
  displayUrl: string;
}

export interface ResolvedFile {
  /** 0-based position in the job file; ties in priority keep this order. */
  index: number;
  /** The URL to fetch, ${VAR}s expanded. Never print it: use `displayUrl`. */
  url: string;
  /** The URL as written in the job file (${VAR} unexpanded, credentials masked): safe for logs and errors. */
  displayUrl: string;
  /** Absolute output path, inside `ResolvedJob.dir`. */
  path: string;
  /** Output path relative to `ResolvedJob.dir`, with forward slashes: what reports show. */
  relPath: string;
  priority: number;
  /** Byte-range connections this file may use (1 = never split). */
  connections: number;
  /** Never split into ranges smaller than this many bytes. */
  minSplitSize: number;
  /** Attempts per request after the first. */
  retries: number;
  /** Stall timeout in milliseconds: no bytes for this long → drop and retry. */
  timeout: number;
  /** Request headers, values expanded. */
  headers: Record<string, string>;
  /** Expanded values of ${VAR}s used by this file, masked as *** wherever text is shown. */
  readonly secrets: readonly string[];
  ifExists: IfExists;
  /** Undefined until the run fills it in when `checksumList` is set. */
  checksum: Checksum | undefined;
  /** Where the checksum comes from when the job names a list instead of a digest. */
  checksumList?: ChecksumListRef | undefined;
  /** Further places serving the same file (`urls:` after the first, which is `url`), in preference order. */
  mirrors?: MirrorUrl[] | undefined;
  /** sftp:// only: how to authenticate and which host keys to trust. */
  ssh?: ResolvedSsh | undefined;
  /** ftp:// and ftps:// only. */
  ftp?: ResolvedFtp | undefined;
}

/** SSH settings with paths absolute and secrets expanded (they are also in `secrets`, to be masked). */
export interface ResolvedSsh {
  /** Absolute path of the private key file. */
  identity: string | undefined;
  passphrase: string | undefined;
  password: string | undefined;
  /** Absolute path of the known_hosts file. */
  knownHosts: string;
  /** The SSH agent's socket, used when there is neither identity nor password. */
  agent: string | undefined;
}

export interface ResolvedFtp {
  password: string | undefined;
}

export interface MirrorUrl {
  /** ${VAR}s expanded. Never print it: use `displayUrl`. */
  url: string;
  displayUrl: string;
}

/** Every place the file can come from, the preferred one first. */
export function fileUrls(file: Pick<ResolvedFile, 'url' | 'displayUrl' | 'mirrors'>): MirrorUrl[] {
  return [{ url: file.url, displayUrl: file.displayUrl }, ...(file.mirrors ?? [])];
}

export interface ResolvedLimits {
  /** Files in flight at once. */
  files: number;
  /** Open connections in total. */
  connections: number;
  /** Open connections to one host. */
  perHost: number;
  /** Bytes per second over the whole run; 0 = unlimited. */
  rate: number;
}

export interface ResolvedJob {
  /** Absolute path of the job file, or undefined for `pdl get`. */
  source: string | undefined;
  /** Absolute output root; nothing is written outside it. */
  dir: string;
  limits: ResolvedLimits;
  files: ResolvedFile[];
  /** Absolute cache folder (`cache:`): verified copies reused by sha256, and where completed files are stored. */
  cache?: string;
}

/** Replace every secret value in `text` with ***. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}
