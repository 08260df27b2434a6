/**
 * MirrorSource's side of per-host slots, against real fixture servers: which hosts it offers (hosts()), and what it
 * does with a request for a host it no longer serves from (a typed error the engine re-places; never a loop: a
 * dropped host is not offered again, and with every mirror dropped open() says so).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllMirrorsFailedError, SourceHostUnavailableError } from '../../src/errors.js';
import { createDispatcher } from '../../src/http/agent.js';
import { HttpSource } from '../../src/http/source.js';
import { MirrorSource } from '../../src/sources/mirrors/mirror-source.js';
import { MirrorRanking } from '../../src/sources/mirrors/ranking.js';
import type { ByteRequest, OpenResult } from '../../src/sources/source.js';
import type { FixtureServer } from '../helpers/fixture-server.js';
import { mirrorServers } from '../helpers/mirror-servers.js';

const KiB = 1024;

async function mirrorsOf(t: Parameters<typeof mirrorServers>[0], servers: FixtureServer[], proven: boolean) {
  const dispatcher = createDispatcher({ perHost: 8 });
  t.after(() => dispatcher.close());
  const notes: string[] = [];
  const source = new MirrorSource({
    mirrors: servers.map((s) => {
      const url = s.url('/f.bin');
      return { source: new HttpSource({ dispatcher, url, displayUrl: url, headers: {}, secrets: [] }), host: new URL(url).host };
    }),
    proven,
    ranking: new MirrorRanking(),
    name: 'f.bin',
    note: (message) => notes.push(message),
  });
  return { source, notes, hosts: servers.map((s) => new URL(s.origin).host) };
}

const request = (over: Partial<ByteRequest> = {}): ByteRequest => ({
  start: 0,
  end: undefined,
  ranges: true,
  held: undefined,
  first: true,
  signal: AbortSignal.timeout(10_000),
  ...over,
});

/** Let an answer go without reading its body (closing its connection). */
function done(result: OpenResult): OpenResult {
  if (result.kind === 'bytes') result.answer.close();
  return result;
}

test('proven mirrors offer every healthy host; a request on a dropped mirror\'s host is refused with a typed error, then every mirror dropped is one failure', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  a!.addFile('/f.bin', { size: 64 * KiB, seed: 'f', faults: [{ type: 'status', status: 404, attempts: [2, 3, 4, 5, 6] }] });
  b!.addFile('/f.bin', { size: 64 * KiB, seed: 'f', faults: [{ type: 'status', status: 410, attempts: [2, 3, 4, 5, 6] }] });
  const { source, hosts } = await mirrorsOf(t, [a!, b!], true);
  const [hostA, hostB] = hosts as [string, string];
  assert.deepEqual(source.hosts(), [hostA, hostB], 'nothing measured: the job order');

  const first = done(await source.open(request({ host: hostA })));
  assert.equal(first.kind, 'bytes');
  assert.equal(a!.stats.requests, 1);
  const held = first.kind === 'bytes' ? { size: first.answer.size, validators: first.answer.validators } : undefined;

  // A's next answer is a 404: the mirror is dropped, and the request (held for A's host) is not sent to B.
  await assert.rejects(source.open(request({ host: hostA, start: 1024, end: 2048, first: false, held })), SourceHostUnavailableError);
  assert.equal(b!.stats.requests, 0, 'a slot on A\'s host never becomes a request to B');
  assert.deepEqual(source.hosts(), [hostB], 'a dropped host is not offered again');

  // B's first answer is fine; its second a 410: with no mirror left, hosts() still names one, and open() fails.
  assert.equal(done(await source.open(request({ host: hostB, start: 2048, end: 4096, first: false, held }))).kind, 'bytes');
  await assert.rejects(source.open(request({ host: hostB, start: 4096, end: 8192, first: false, held })), AllMirrorsFailedError);
  assert.deepEqual(source.hosts(), [hostA]);
  await assert.rejects(source.open(request({ host: hostA, start: 4096, end: 8192, first: false, held })), AllMirrorsFailedError);
});

test('unproven mirrors: a file not tied to a mirror starts on any of them; once one serves it, only that host is offered and a request elsewhere is refused without asking anyone', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  for (const s of [a!, b!]) s.addFile('/f.bin', { size: 64 * KiB, seed: 'f' });
  const { source, hosts } = await mirrorsOf(t, [a!, b!], false);
  const [hostA, hostB] = hosts as [string, string];
  assert.deepEqual(source.hosts(), [hostA, hostB], 'the job order: the first free one takes the file');
  const first = await source.open(request({ host: hostB }));
  assert.equal(first.kind, 'bytes');
  const held = first.kind === 'bytes' ? { size: first.answer.size, validators: first.answer.validators } : undefined;
  done(first);
  assert.equal(b!.stats.requests, 1);
  assert.deepEqual(source.hosts(), [hostB], 'every byte from the mirror serving the file');
  await assert.rejects(source.open(request({ host: hostA, start: 1024, end: 2048, first: false, held })), SourceHostUnavailableError);
  assert.equal(a!.stats.requests, 0);
});

test('a mirror refusing one more request while it serves the file (its host\'s cap) is not counted as failing: the refusal goes to the engine', async (t) => {
  const [a, b] = await mirrorServers(t, 2);
  for (const s of [a!, b!]) s.addFile('/f.bin', { size: 64 * KiB, seed: 'f', throttle: 16 * KiB });
  b!.setParallelLimit({ max: 1 });
  const { source, hosts } = await mirrorsOf(t, [a!, b!], true);
  const [hostA, hostB] = hosts as [string, string];
  const first = await source.open(request({ host: hostA }));
  assert.equal(first.kind, 'bytes');
  const held = first.kind === 'bytes' ? { size: first.answer.size, validators: first.answer.validators } : undefined;
  done(first);
  // B serves one range (its body stays open: the server trickles it) and refuses every other.
  const serving = await source.open(request({ host: hostB, start: 0, end: 32 * KiB, first: false, held }));
  assert.equal(serving.kind, 'bytes');
  for (let i = 0; i < 3; i++) {
    await assert.rejects(source.open(request({ host: hostB, start: 32 * KiB, end: 64 * KiB, first: false, held })), (error: unknown) => {
      assert.ok(!(error instanceof SourceHostUnavailableError), 'the mirror was dropped');
      assert.equal((error as { status?: number }).status, 503);
      return true;
    });
  }
  assert.equal(b!.stats.refusals, 3);
  assert.deepEqual([...source.hosts()].sort(), [hostA, hostB].sort(), 'both mirrors still in use');
  done(serving);
});
