/**
 * OpenSSH known_hosts, read the way ssh reads it: plain and hashed (`|1|salt|hmac`) host patterns, `[host]:port` for
 * other ports, `*`/`?` wildcards, `!` negation, `@revoked` keys. pdl only reads the file: it never adds to it
 * (no trust on first use), and says how to add a key instead.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export type HostKeyVerdict = { kind: 'known' } | { kind: 'unknown' } | { kind: 'changed' } | { kind: 'revoked' };

interface Entry {
  marker: string | undefined;
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` elsewhere. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob (`ssh-ed25519`, …). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

export function parseKnownHosts(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    entries.push({ marker, hosts, keyType, key: Buffer.from(key, 'base64') });
  }
  return entries;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

function hashedMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const hmac = createHmac('sha1', Buffer.from(parts[2]!, 'base64')).update(name).digest('base64');
  return hmac === parts[3];
}

export function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) matched = true;
  }
  return matched;
}

/** What the file says of this key for this host. A host listed only with other keys has `changed` its key. */
export function judgeHostKey(entries: readonly Entry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entries.filter((entry) => hostsMatch(entry.hosts, name));
  if (forHost.some((entry) => entry.marker === '@revoked' && entry.key.equals(key))) return { kind: 'revoked' };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  if (plain.some((entry) => entry.key.equals(key))) return { kind: 'known' };
  // A host listed with another key of the same type has changed it; other types say nothing of this one.
  const type = keyTypeOf(key);
  return plain.some((entry) => entry.keyType === type) ? { kind: 'changed' } : { kind: 'unknown' };
}

/** A missing file lists no host: every key is unknown. */
export async function loadKnownHosts(path: string): Promise<Entry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
