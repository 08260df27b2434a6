/** sftp://, ftp:// and ftps:// URLs and the `ssh:` / `ftp:` blocks, resolved: paths, secrets, and every refusal. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobFileError } from '../../src/errors.js';
import { resolveJobObject } from '../../src/job/check.js';

const env = { HOME: '/home/me', SSH_AUTH_SOCK: '/run/agent.sock', PW: 's3cret-pw', PHRASE: 'phrase-xyz' };
const options = { fileName: 'jobs.yaml', baseDir: '/jobs', env };
const resolveFiles = (files: unknown[], defaults: Record<string, unknown> = {}) =>
  resolveJobObject({ version: 1, defaults, files }, options).files;
const issues = (files: unknown[], defaults: Record<string, unknown> = {}) => {
  try {
    resolveJobObject({ version: 1, defaults, files }, options);
  } catch (error) {
    assert.ok(error instanceof JobFileError);
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  assert.fail('expected the job to be refused');
};

describe('remote URLs and access blocks', () => {
  it('an sftp file: identity relative to the job folder, ~ expanded, the agent only without identity or password', () => {
    const [keyed, agent] = resolveFiles(
      [{ url: 'sftp://me@h.example/data/a.bin', ssh: { identity: './keys/id', passphrase: '${PHRASE}', knownHosts: '~/kh' } }, 'sftp://me@h.example:2222/~/b.bin'],
    );
    assert.deepEqual(keyed!.ssh, { identity: '/jobs/keys/id', passphrase: 'phrase-xyz', password: undefined, knownHosts: '/home/me/kh', agent: undefined });
    assert.deepEqual(agent!.ssh, { identity: undefined, passphrase: undefined, password: undefined, knownHosts: '/home/me/.ssh/known_hosts', agent: '/run/agent.sock' });
    assert.equal(keyed!.displayUrl, 'sftp://me@h.example/data/a.bin', 'the user name is shown: it is not a secret');
    assert.ok(keyed!.secrets.includes('phrase-xyz'), 'the passphrase is masked wherever text is shown');
  });

  it("a file's ssh keys replace the defaults' one by one; ftp passwords come from the environment", () => {
    const [sftp, ftp] = resolveFiles(
      [{ url: 'sftp://me@h/a', ssh: { password: '${PW}' } }, { url: 'ftp://u@h/b' }],
      { ssh: { identity: '/k/id', knownHosts: '/k/kh' }, ftp: { password: '${PW}' } },
    );
    assert.equal(sftp!.ssh?.identity, '/k/id');
    assert.equal(sftp!.ssh?.password, 's3cret-pw');
    assert.equal(sftp!.ssh?.agent, undefined);
    assert.equal(ftp!.ftp?.password, 's3cret-pw');
    assert.ok(ftp!.secrets.includes('s3cret-pw'));
  });

  it('refuses passwords written in the job or the URL, missing users and paths, and blocks that do not fit the URL', () => {
    assert.deepEqual(issues([
      { url: 'sftp://me@h/a', ssh: { password: 'hunter2' } },
      'sftp://me:pw@h/b',
      'sftp://h/c',
      'ftp://h/',
      { url: 'https://h/e', ssh: { identity: 'x' } },
      { url: 'sftp://me@h/f', ftp: { password: '${PW}' } },
      { url: 'ftp://h/g', ftp: { password: '${NOT_SET}' } },
    ]), [
      'files[0].ssh.password: expected ${VARIABLE} (the SSH password is taken from the environment, never written in the job file), got a literal value',
      'files[1]: a password in the URL is not allowed (it would show in logs); give it as `ssh: { password: "${VARIABLE}" }`',
      'files[2]: expected sftp://user@host/path (the user name is required)',
      'files[3]: expected a path to a file after the host',
      'files[4].ssh: `ssh` applies to sftp:// URLs only, this one is https',
      'files[5].ftp: `ftp` applies to ftp:// and ftps:// URLs only, this one is sftp',
      'files[6].ftp.password: ${NOT_SET} is not set',
    ]);
  });
});
