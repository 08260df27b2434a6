/**
 * The `ssh:` and `ftp:` blocks of the job schema (sftp://, ftp://, ftps:// URLs). Secrets are only ever `${VARIABLE}`
 * references: a password written into a job file would end up in version control and logs.
 */
import { z } from 'zod';
import { said } from './said.js';
import { describeValue } from './said.js';

/** A password or passphrase: only ever a reference to an environment variable, never the secret in the file. */
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const envSecret = (title: string, what: string) => {
  const e = said((v) => `expected \${VARIABLE} (the ${what} is taken from the environment, never written in the job file), got ${typeof v === 'string' ? 'a literal value' : describeValue(v)}`);
  return z.string(e).regex(ENV_REFERENCE, e).describe(`The ${what}, as \${VARIABLE}: read from the environment, masked everywhere`).meta({ title }).optional();
};
const filePath = (title: string, description: string) =>
  z
    .string(said((v) => `expected a file path, got ${describeValue(v)}`))
    .min(1, said(() => 'expected a file path, got an empty string'))
    .regex(/^[^\0]*$/, said(() => 'the file path must not contain NUL'))
    .describe(description)
    .meta({ title })
    .optional();

/** `ssh:` for sftp:// URLs: how to prove who we are, and which host keys to trust. */
export const sshSchema = z
  .strictObject({
    identity: filePath('Identity', "Private key file, relative to the job file's folder (~ expanded); without identity and password the SSH agent (SSH_AUTH_SOCK) is used"),
    passphrase: envSecret('Passphrase', 'passphrase of the identity'),
    password: envSecret('Password', 'SSH password'),
    knownHosts: filePath('Known hosts', "known_hosts file trusted for host keys (hashed entries supported), relative to the job file's folder; default ~/.ssh/known_hosts"),
  }, said((v) => `expected a mapping with identity, passphrase, password or knownHosts, got ${describeValue(v)}`))
  .describe('SSH settings for sftp:// URLs; a file\'s keys replace the ones in `defaults.ssh`')
  .meta({ title: 'SSH' });

/** `ftp:` for ftp:// and ftps:// URLs with a user name. */
export const ftpSchema = z
  .strictObject({ password: envSecret('Password', 'FTP password') }, said((v) => `expected a mapping with password, got ${describeValue(v)}`))
  .describe('FTP settings for ftp:// and ftps:// URLs with a user name (anonymous without one)')
  .meta({ title: 'FTP' });
