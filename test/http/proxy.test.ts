/** The proxying dispatcher on its own: https through a CONNECT tunnel (TLS to the origin inside it), NO_PROXY, masking. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatcher, request } from '../../src/http/agent.js';
import { redactProxyUrl, type ProxySettings } from '../../src/http/proxy.js';
import { startTestProxy } from '../helpers/proxy.js';
import { startHttpsRedirector, testCertificate } from '../helpers/tls.js';

async function setUp(t: TestContext) {
  const https = await startHttpsRedirector('http://127.0.0.1:9/next');
  t.after(() => https.close());
  const proxy = await startTestProxy();
  t.after(() => proxy.close());
  return { https, proxy };
}

function dispatcher(t: TestContext, proxy: ProxySettings) {
  const agent = createDispatcher({ perHost: 2, ca: testCertificate().cert, proxy });
  t.after(() => agent.close());
  return agent;
}

async function get(agent: ReturnType<typeof createDispatcher>, url: string): Promise<number> {
  const response = await request(agent, { origin: new URL(url).origin, path: new URL(url).pathname, method: 'GET' });
  await response.body.dump();
  return response.statusCode;
}

test('https:// URLs go through HTTPS_PROXY in a CONNECT tunnel, with the origin certificate checked inside it', async (t) => {
  const { https, proxy } = await setUp(t);
  const agent = dispatcher(t, { httpsProxy: proxy.url });
  assert.equal(await get(agent, https.url('/a')), 302);
  assert.equal(proxy.stats.tunnels, 1);
  assert.equal(proxy.stats.forwarded, 0);
  assert.deepEqual(https.requests.map((r) => r.url), ['/a']);
});

test('https:// URLs fall back to the http proxy when no https proxy is set; NO_PROXY wins over both', async (t) => {
  const { https, proxy } = await setUp(t);
  assert.equal(await get(dispatcher(t, { httpProxy: proxy.url }), https.url('/a')), 302);
  assert.equal(proxy.stats.tunnels, 1);
  assert.equal(await get(dispatcher(t, { httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: 'example.org, 127.0.0.1' }), https.url('/b')), 302);
  assert.equal(proxy.stats.tunnels, 1, 'the NO_PROXY host was reached directly');
  assert.equal(https.requests.length, 2);
});

test('redactProxyUrl masks credentials, also in URLs that do not parse', () => {
  const cases: Array<[string, string]> = [
    ['http://alice:s3cret@proxy.example:3128', 'http://***@proxy.example:3128'],
    ['http://alice@proxy.example:3128/', 'http://***@proxy.example:3128/'],
    ['http://proxy.example:3128', 'http://proxy.example:3128'],
    ['alice:s3cret@proxy example', '***@proxy example'],
    ['http://alice:s3/cr@t@[bad', 'http://***@[bad'],
  ];
  for (const [input, expected] of cases) assert.equal(redactProxyUrl(input), expected, input);
});
