/** Over real TLS: pdl never follows an https URL down to plain http, and a private CA can be trusted. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { runJob } from '../../src/run-job.js';
import { createDispatcher, request } from '../../src/http/agent.js';
import { KiB, fixture } from '../helpers/engine.js';
import { makeJob } from '../helpers/job.js';
import { startHttpsRedirector, testCertificate } from '../helpers/tls.js';

async function redirector(t: TestContext, location: string) {
  const server = await startHttpsRedirector(location);
  t.after(() => server.close());
  return server;
}

/** A pdl dispatcher, trusting `ca` if given, closed after the test. */
function agentFor(t: TestContext, ca?: string) {
  const agent = createDispatcher({ perHost: 4, ...(ca === undefined ? {} : { ca }) });
  t.after(() => agent.close());
  return agent;
}

const get = (dispatcher: ReturnType<typeof createDispatcher>, url: string) =>
  request(dispatcher, { origin: new URL(url).origin, path: new URL(url).pathname, method: 'GET' });

test('the test CA is what lets a request through: trusted it reaches the server, untrusted it fails the handshake', async (t) => {
  const target = 'http://127.0.0.1:9/file.bin';
  const https = await redirector(t, target);

  const untrusted = agentFor(t);
  await assert.rejects(get(untrusted, https.url('/file.bin')), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  assert.deepEqual(https.requests, [], 'nothing gets past a failed handshake');

  const trusted = agentFor(t, testCertificate().cert);
  const response = await get(trusted, https.url('/file.bin'));
  await response.body.dump();
  assert.equal(response.statusCode, 302);
  assert.equal(response.headers.location, target);
  assert.deepEqual(https.requests, [{ method: 'GET', url: '/file.bin' }]);
});

test('a redirect from https to http fails with E_REDIRECT: the http server is never asked and nothing is written', async (t) => {
  const { server, dir } = await fixture(t);
  const plain = server.addFile('/file.bin', { size: 64 * KiB });
  const https = await redirector(t, plain);
  const dispatcher = agentFor(t, testCertificate().cert);

  const summary = await runJob(makeJob(dir, [{ url: https.url('/file.bin'), retries: 3 }]), { dispatcher });

  assert.equal(summary.failed, 1, JSON.stringify(summary.files));
  const error = summary.files[0]?.error;
  assert.equal(error?.code, 'E_REDIRECT', JSON.stringify(error));
  assert.match(error?.message ?? '', /from https to http \(http:\/\/127\.0\.0\.1:\d+\/file\.bin\)/);
  assert.deepEqual(https.requests, [{ method: 'GET', url: '/file.bin' }], 'one request, not retried');
  assert.deepEqual(server.requests, []);
  assert.deepEqual(await readdir(dir), [], 'no file, no .part');
});
