/**
 * Which mirror a file's validators belong to, kept inside the validators themselves: they are what the control
 * file, the state file and the lock file already store, so a resumed or re-checked file goes back to the mirror
 * its bytes came from (never mixing two mirrors' bytes of a file nothing proves to be one version). The first
 * mirror's validators are left as they are, so a file with one URL reads and writes exactly what it did before.
 */
import type { Validators } from '../source.js';

const ETAG = /^"pdl-m(\d+)\/(.*)"$/s;
const TEXT = /^pdl-m(\d+)\/(.*)$/s;

export function tagValidators(mirror: number, validators: Validators): Validators {
  if (mirror === 0) return validators;
  const { etag, lastModified } = validators;
  // A mirror without validators still gets a tag: otherwise a resumed file would not know where its bytes came from.
  return {
    etag: etag === undefined ? undefined : `"pdl-m${mirror}/${etag.slice(1)}`,
    lastModified: lastModified !== undefined || etag === undefined ? `pdl-m${mirror}/${lastModified ?? ''}` : undefined,
  };
}

/** The mirror the validators came from (0 when untagged) and the validators as that mirror sent them. */
export function untagValidators(validators: Validators): { mirror: number; validators: Validators } {
  const etag = validators.etag === undefined ? undefined : ETAG.exec(validators.etag);
  const text = validators.lastModified === undefined ? undefined : TEXT.exec(validators.lastModified);
  const mirror = Number(etag?.[1] ?? text?.[1] ?? 0);
  if (mirror === 0) return { mirror, validators };
  return {
    mirror,
    validators: {
      etag: etag ? `"${etag[2]}"` : validators.etag,
      lastModified: text ? text[2] || undefined : validators.lastModified,
    },
  };
}
