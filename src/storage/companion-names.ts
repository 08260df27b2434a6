/**
 * The names pdl gives the files it keeps beside an output file while it downloads: `<name>.part` (the bytes),
 * `<name>.pdl` (the control file) and `<name>.pdl-claim` (which run owns the name). They must fit in one
 * directory entry as well as the name itself, so the longest output name pdl accepts is NAME_MAX minus the longest
 * suffix. Dependency-free on purpose: job/ checks names against it without depending on the rest of storage/.
 */

/** Every suffix pdl appends to an output file's name; the longest one sets MAX_OUTPUT_NAME_BYTES. */
export const COMPANION_SUFFIXES = { part: '.part', control: '.pdl', claim: '.pdl-claim' } as const;

/** The longest file name Linux (and most file systems: ext4, XFS, btrfs, APFS, NTFS in UTF-16 units) accepts, in bytes. */
export const NAME_MAX_BYTES = 255;

/** The longest output file name, in bytes, that still leaves room for every companion file's suffix. */
export const MAX_OUTPUT_NAME_BYTES =
  NAME_MAX_BYTES - Math.max(...Object.values(COMPANION_SUFFIXES).map((suffix) => Buffer.byteLength(suffix)));
