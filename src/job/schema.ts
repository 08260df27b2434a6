/**
 * The job file, version 1, as users write it: the one zod schema, its inferred input types, and the
 * JSON Schema editors use. The schema checks shape and bounds only and transforms nothing, so the JSON
 * Schema describes exactly what people type; resolve.ts applies defaults, units, env and paths.
 */
import { z } from 'zod';
import { ftpSchema, sshSchema } from './remote-schema.js';
import { said } from './said.js';
import { closest } from './suggest.js';
import { describeValue } from './said.js';
import {
  CHECKSUM_HEX_LENGTH, checksumPattern, CONNECTIONS, FOLDER_PATTERN, HEADER_NAME_PATTERN, HEADER_VALUE_PATTERN, IF_EXISTS, JOB_DEFAULTS,
  LIMIT_COUNT, LIMIT_DEFAULTS, MANAGED_HEADERS, MAX_MIRRORS, PRIORITY, quantityExpected, quantityProblem, RATE_RANGE, RATE_RULE, RETRIES,
  SPLIT_RANGE, SPLIT_SIZE_RULE, TIMEOUT_RANGE, TIMEOUT_RULE, type QuantityRule,
} from './rules.js';

function integer(min: number, max: number, title: string, description: string) {
  const e = said((v) => `expected an integer from ${min} to ${max}, got ${describeValue(v)}`);
  return z.int(e).min(min, e).max(max, e).describe(`${description} (${min}–${max})`).meta({ title });
}

/** A size or duration: `union(number, string)`, bounds checked after parsing so `1KiB` and `1024` agree. */
function quantity(rule: QuantityRule, editorMessage: string, title: string, description: string) {
  // What an editor says about any value of the wrong form is `editorMessage`: every form accepted, and the bounds.
  const e = said((v) => quantityExpected(rule, v));
  return z
    .union([z.int(e).min(rule.zero ? 0 : rule.min, e).max(rule.max, e), z.string(e).regex(new RegExp(rule.pattern), e)], e)
    .superRefine((value, ctx) => {
      const problem = quantityProblem(rule, value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(description)
    .meta({ title, [EDITOR_MESSAGE]: editorMessage });
}

/** Marks a quantity for `forEditors`; not a JSON Schema keyword, and gone from the output. */
const EDITOR_MESSAGE = 'x-pdl-editor-message';

const UNITS_HELP = 'bytes, or 4MiB, 512KiB, 1.5GB, 4m (KB/MB/GB = 1000ⁿ; KiB/MiB/GiB and k/m/g = 1024ⁿ)';
const minSplitSize = (scope: string) =>
  quantity(
    SPLIT_SIZE_RULE,
    `Expected a size such as 4MiB, 512KiB or 1.5GB, or a number of bytes; ${SPLIT_RANGE}`,
    'Minimum split size',
    `Never split ${scope} into ranges smaller than this (ranges are split by measured speed, never below 256KiB whatever this says): ${UNITS_HELP}; ${SPLIT_RANGE}`,
  );
const timeout = () =>
  quantity(
    TIMEOUT_RULE,
    `Expected a duration such as 30s, 2m or 500ms, or a number of milliseconds; ${TIMEOUT_RANGE}`,
    'Stall timeout',
    `A connection that delivers no bytes for this long is dropped and retried: milliseconds, or 500ms, 30s, 2m, 1h; ${TIMEOUT_RANGE}`,
  );
export const rateSchema = quantity(
  RATE_RULE,
  `Expected a rate in bytes per second such as 20MiB, 20MiB/s or 1.5MB, or a number of bytes; 0 = unlimited, otherwise ${RATE_RANGE}`,
  'Rate limit',
  `Bytes per second over the whole run, 0 = unlimited, otherwise ${RATE_RANGE}: ${UNITS_HELP}, "/s" optional`,
).meta({ default: LIMIT_DEFAULTS.rate });


const headerName = z
  .string()
  .regex(HEADER_NAME_PATTERN, { error: (i) => `header name ${describeValue(i.input)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~)` })
  .refine((name) => !(MANAGED_HEADERS as readonly string[]).includes(name.toLowerCase()), {
    error: (i) =>
      `header \`${String(i.input)}\` is managed by pdl and cannot be set ` +
      '(pdl sets Host, Range, If-Range, Accept-Encoding and the connection headers itself)',
  });
const headerValueError = said((v) =>
  typeof v === 'string'
    ? /[\r\n\0]/.test(v)
      ? 'header values must not contain CR, LF or NUL'
      : 'header values may contain only visible ASCII, spaces, tabs and Latin-1 characters'
    : `expected a string (quote numbers: "1"), got ${describeValue(v)}`,
);
const headerValue = z
  .string(headerValueError)
  .regex(HEADER_VALUE_PATTERN, headerValueError)
  .describe('Header value; ${VAR} expands from the environment, $${ is a literal ${');
const headers = (title: string, description: string) =>
  z
    .record(headerName, headerValue, said((v) => `expected a mapping of header names to values, got ${describeValue(v)}`))
    .describe(`${description}. Names are case-insensitive; values may use \${ENV_VAR} ($\${ for a literal \${)`)
    .meta({ title });

const ifExistsError = said((v) => {
  const guess = typeof v === 'string' ? closest(v, IF_EXISTS) : undefined;
  return `expected one of ${IF_EXISTS.join(', ')}, got ${describeValue(v)}${guess ? `; did you mean \`${guess}\`?` : ''}`;
});
const ifExists = z
  .enum(IF_EXISTS, ifExistsError)
  .describe(
    'What to do when the output file exists: resume a partial download, skip it, overwrite it, fail, or replace it only when the server has a newer version (newer)',
  )
  .meta({ title: 'If the file exists' });

const checksumError = said((v) => {
  const text = typeof v === 'string' ? v : '';
  const hint = /^(sha256|sha512|sha1|md5):([0-9a-fA-F]+)$/.exec(text);
  const wanted = hint ? CHECKSUM_HEX_LENGTH[hint[1] as keyof typeof CHECKSUM_HEX_LENGTH] : 0;
  const list = /^(sha256|sha512|sha1|md5):(file:)?/.exec(text);
  const why = hint
    ? ` (${hint[2]?.length} hex digits; ${hint[1]} has ${wanted})`
    : list?.[2] !== undefined && (list[1] === 'sha1' || list[1] === 'md5')
      ? ' (checksum lists take sha256 or sha512)'
      : list?.[2] === undefined && /^[a-z0-9]+:https?:/i.test(text)
        ? ' (a checksum list is written with file: before the URL)'
        : '';
  return `expected "<algorithm>:<hex>" (sha256, sha512, sha1, md5) or a checksum list "<sha256|sha512>:file:<url>", got ${describeValue(v)}${why}`;
});

/** Per-file settings that `defaults` also sets; a file's value wins. */
const overridable = (scope: string) => ({
  connections: integer(CONNECTIONS.min, CONNECTIONS.max, 'Connections', `Byte-range connections ${scope} may use (1 = never split)`).optional(),
  minSplitSize: minSplitSize(scope).optional(),
  retries: integer(RETRIES.min, RETRIES.max, 'Retries', 'Attempts per request after the first, with exponential backoff and jitter').optional(),
  timeout: timeout().optional(),
  ifExists: ifExists.optional(),
  ssh: sshSchema.optional(),
  ftp: ftpSchema.optional(),
});

const d = overridable('one file');
export const defaultsSchema = z
  .strictObject({
    dir: z
      .string(said((v) => `expected a folder path (a non-empty string), got ${describeValue(v)}`))
      .min(1, said(() => 'expected a folder path, got an empty string'))
      .regex(FOLDER_PATTERN, said(() => 'the folder path must not contain NUL'))
      .describe("Output root, relative to the job file's folder; nothing is written outside it. `pdl --dir` overrides it")
      .meta({ title: 'Output folder', default: JOB_DEFAULTS.dir })
      .optional(),
    connections: d.connections.meta({ default: JOB_DEFAULTS.connections }),
    minSplitSize: d.minSplitSize.meta({ default: '256KiB' }),
    retries: d.retries.meta({ default: JOB_DEFAULTS.retries }),
    timeout: d.timeout.meta({ default: '30s' }),
    headers: headers('Default headers', "Request headers for every file; a file's header replaces the one with the same name").optional(),
    ifExists: d.ifExists.meta({ default: JOB_DEFAULTS.ifExists }),
    ssh: d.ssh,
    ftp: d.ftp,
  }, said((v) => `expected a mapping of default settings, got ${describeValue(v)}`))
  .describe('Settings every file inherits; any file may override them (except `dir`)')
  .meta({ title: 'Defaults' });

export const limitsSchema = z
  .strictObject({
    files: integer(LIMIT_COUNT.min, LIMIT_COUNT.max, 'Files at once', 'Files in flight at once').meta({ default: LIMIT_DEFAULTS.files }).optional(),
    connections: integer(LIMIT_COUNT.min, LIMIT_COUNT.max, 'Connections in total', 'Open connections in total')
      .meta({ default: LIMIT_DEFAULTS.connections })
      .optional(),
    perHost: integer(LIMIT_COUNT.min, LIMIT_COUNT.max, 'Connections per host', 'Open connections to one host').meta({ default: LIMIT_DEFAULTS.perHost }).optional(),
    rate: rateSchema.optional(),
  }, said((v) => `expected a mapping of limits, got ${describeValue(v)}`))
  .describe('Limits for the whole run')
  .meta({ title: 'Limits' });

const f = overridable('this file');
const urlString = () => z.string(said((v) => `expected a URL, got ${describeValue(v)}`)).min(1, said(() => 'expected a URL, got an empty string'));
export const fileSchema = z
  .strictObject({
    url: urlString()
      .describe('http, https, sftp, ftp or ftps URL to download (no password in it); ${VAR} expands from the environment ($${ for a literal ${). Give `url` or `urls`, not both')
      .meta({ title: 'URL' })
      .optional(),
    urls: z
      .array(urlString(), said((v) => `expected a list of URLs (mirrors of one file), got ${describeValue(v)}`))
      .min(1, said(() => 'expected at least one URL, got an empty list'))
      .max(MAX_MIRRORS, said(() => `expected at most ${MAX_MIRRORS} mirrors`))
      .refine((list) => new Set(list).size === list.length, said(() => 'expected each mirror once, got a duplicate URL'))
      .describe('Mirrors of one file, in preference order (1-32, no duplicates; http(s) beside the first URL\'s scheme): without a checksum all bytes come from one mirror and the next one is tried when it fails; with a checksum ranges go to several mirrors at once, fastest first. ${VAR} expands in each. Give `url` or `urls`, not both')
      .meta({ title: 'Mirror URLs' })
      .optional(),
    path: z
      .string(said((v) => `expected a relative file path, got ${describeValue(v)}`))
      .describe("Output path relative to `dir`, with / between folders; defaults to the URL's last path segment")
      .meta({ title: 'Output path' })
      .optional(),
    priority: integer(PRIORITY.min, PRIORITY.max, 'Priority', 'Higher starts first; ties keep the order in the file')
      .meta({ default: 0 })
      .optional(),
    ...f,
    headers: headers('Headers', 'Request headers for this file, merged over `defaults.headers`').optional(),
    checksum: z
      .string(checksumError)
      .regex(checksumPattern, checksumError)
      .describe(
        'Expected digest as <algorithm>:<hex>, algorithm one of sha256, sha512, sha1, md5; or sha256:file:<url> (sha512:file:<url>) ' +
          "to take it from a checksum list such as SHA256SUMS (sha256sum or BSD format), fetched once per run, by the output file's name " +
          '(else the URL\'s last segment); ${VAR} expands in the URL',
      )
      .meta({ title: 'Checksum', examples: [`sha256:${'0'.repeat(64)}`, 'sha256:file:https://example.org/releases/SHA256SUMS'] })
      .optional(),
  }, said((v) => `expected a mapping with \`url:\`, got ${describeValue(v)}`))
  .superRefine((file, ctx) => {
    if (file.url !== undefined && file.urls !== undefined) ctx.addIssue({ code: 'custom', path: ['urls'], message: 'give either `url:` or `urls:`, not both' });
    if (file.url === undefined && file.urls === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'expected `url:` (or `urls:`, a list of mirrors)' });
  })
  .describe('A file to download')
  // The refinement above, for editors: `url` or `urls`, not both.
  .meta({ title: 'File', oneOf: [{ required: ['url'] }, { required: ['urls'] }] });

const shortForm = z
  .string()
  .min(1, said(() => 'expected a URL, got an empty string'))
  .describe('Short form: just the URL, every setting from `defaults`')
  .meta({ title: 'URL' });
const entryError = said((v) => `expected a URL or a mapping with \`url:\`, got ${describeValue(v)}`);
export const fileEntrySchema = z
  .union([shortForm, fileSchema], entryError)
  .describe('A URL, or a mapping with `url:` and per-file settings');

export const jobSchema = z
  .strictObject({
    version: z
      .literal(1, said((v) => `expected 1 (the only job file version), got ${describeValue(v)}`))
      .describe('Job file format version; always 1')
      .meta({ title: 'Version' }),
    defaults: defaultsSchema.optional(),
    limits: limitsSchema.optional(),
    cache: z
      .string(said((v) => `expected a folder path (a non-empty string), got ${describeValue(v)}`))
      .min(1, said(() => 'expected a folder path, got an empty string'))
      .regex(FOLDER_PATTERN, said(() => 'the folder path must not contain NUL'))
      .describe(
        "Folder of verified copies, relative to the job file's folder (may be outside `dir`): a file whose sha256 checksum matches a copy there (`<cache>/sha256/<hex>`) or elsewhere in `dir` is hard-linked instead of downloaded, and every completed file is stored there",
      )
      .meta({ title: 'Cache folder' })
      .optional(),
    files: z
      .array(fileEntrySchema, said((v) => `expected a list of files, got ${describeValue(v)}`))
      .min(1, said(() => 'expected at least one file, got an empty list'))
      .describe('Files to download, in order; higher `priority` starts first')
      .meta({ title: 'Files' }),
  }, said((v) => `expected a mapping with \`version: 1\` and \`files:\` at the top level, got ${describeValue(v)}`))
  .describe('A pdl job file: what to download, where, and how hard to try')
  .meta({ title: 'pdl job file' });

export type JobInput = z.input<typeof jobSchema>;
export type DefaultsInput = NonNullable<JobInput['defaults']>;
export type LimitsInput = NonNullable<JobInput['limits']>;
export type FileInput = z.input<typeof fileSchema>;
export type FileEntryInput = z.input<typeof fileEntrySchema>;

/** JSON Schema (draft-07, which editors support best) of the INPUT users write; unknown keys disallowed. */
export function jobJsonSchema(): Record<string, unknown> {
  return forEditors(z.toJSONSchema(jobSchema, { io: 'input', target: 'draft-07', unrepresentable: 'throw' }));
}

type JsonNode = Record<string, unknown>;

/**
 * A quantity (`30s` or 30000) comes out of zod as `anyOf: [integer, string]`. yaml-language-server reports a value
 * matching neither by the integer branch ("Incorrect type. Expected integer" for `30 seconds`) and shows the title
 * once per branch on hover. One node typed `["integer", "string"]` means the same (`pattern` constrains only
 * strings, `minimum`/`maximum` only numbers) and lets the editor say which forms are accepted: `errorMessage` and
 * `patternErrorMessage` are yaml-language-server's keywords for that, and other validators ignore them.
 */
function forEditors(node: unknown): JsonNode {
  if (Array.isArray(node)) return node.map(forEditors) as unknown as JsonNode;
  if (typeof node !== 'object' || node === null) return node as JsonNode;
  const out: JsonNode = {};
  for (const [key, value] of Object.entries(node)) out[key] = forEditors(value);
  const message = out[EDITOR_MESSAGE];
  if (typeof message !== 'string') return out;
  delete out[EDITOR_MESSAGE];
  const [integer, string] = (out.anyOf ?? []) as JsonNode[];
  if (integer?.type !== 'integer' || string?.type !== 'string') throw new Error(`a quantity should be anyOf [integer, string]`);
  delete out.anyOf;
  const { type: _integer, ...bounds } = integer;
  const { type: _string, ...text } = string;
  return { type: ['integer', 'string'], ...bounds, ...text, ...out, errorMessage: message, patternErrorMessage: message };
}

/** The committed file's exact text: 2-space JSON and a trailing newline. */
export function jobSchemaText(): string {
  return `${JSON.stringify(jobJsonSchema(), null, 2)}\n`;
}
