/** Which variables the CLI reads for proxies, in which order, and what it says about a bad one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { proxyFromEnv } from '../../src/cli/proxy-env.js';

test('proxy variables: lower case wins, blank counts as unset, nothing set means no proxy at all', () => {
  const cases: Array<[Record<string, string>, ReturnType<typeof proxyFromEnv>]> = [
    [{}, undefined],
    [{ NO_PROXY: 'localhost' }, undefined],
    [{ HTTP_PROXY: '  ' }, undefined],
    [{ HTTP_PROXY: 'http://a:1' }, { httpProxy: 'http://a:1', httpsProxy: undefined, noProxy: undefined }],
    [{ HTTP_PROXY: 'http://a:1', http_proxy: 'http://b:2' }, { httpProxy: 'http://b:2', httpsProxy: undefined, noProxy: undefined }],
    [{ https_proxy: 'https://c:3', NO_PROXY: '.corp', no_proxy: '' }, { httpProxy: undefined, httpsProxy: 'https://c:3', noProxy: '.corp' }],
  ];
  for (const [env, expected] of cases) assert.deepEqual(proxyFromEnv(env), expected, JSON.stringify(env));
});

test('a malformed or unsupported proxy URL is a usage error naming the variable, credentials masked', () => {
  for (const [env, pattern] of [
    [{ HTTPS_PROXY: 'socks5://bob:hunter2@proxy:1080' }, /^HTTPS_PROXY: expected an http:\/\/ or https:\/\/ proxy URL, got "socks5:\/\/\*\*\*@proxy:1080".*socks5/],
    [{ http_proxy: 'bob:hunter2@proxy:3128' }, /^http_proxy: expected .*\*\*\*@proxy:3128/],
  ] as const) {
    assert.throws(() => proxyFromEnv(env), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  }
});
