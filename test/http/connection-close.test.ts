/**
 * A server that ends each response by closing the connection (HTTP/1.0 style, as Python's http.server does): the
 * whole body is on the socket before pdl has read it, and the socket's end must not overtake the bytes still
 * waiting in it. Found with an experimental read path that let undici see the end while its parser was paused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, assertCleanStderr } from '../helpers/cli.js';
import { tempDir } from '../helpers/job.js';

for (let round = 1; round <= 20; round++) test(`a body ended by closing the connection arrives whole, with ranges refused (${round} of 20: the end races the reads)`, async (t) => {
  const body = randomBytes(3 * 1024 * 1024);
  const sha = createHash('sha256').update(body).digest('hex');
  const server = createServer((socket) => {
    socket.once('data', () => {
      // As Python's http.server does it: the head, then the body in 64 KiB writes, then the close.
      socket.write(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\nContent-Type: application/octet-stream\r\n\r\n`);
      for (let at = 0; at < body.length; at += 64 * 1024) socket.write(body.subarray(at, at + 64 * 1024));
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const dir = await tempDir(t);
  const out = join(dir, 'f.bin');
  const result = await runCli(['get', `http://127.0.0.1:${port}/f.bin`, '-o', out, '-c', '4', '--checksum', `sha256:${sha}`, '--quiet']);
  assertCleanStderr(result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(createHash('sha256').update(await readFile(out)).digest('hex'), sha);
});
