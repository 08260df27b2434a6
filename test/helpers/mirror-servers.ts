/**
 * `count` fixture servers on 127.0.0.1, 127.0.0.2 …: one file's mirrors on distinct hosts, closed after the test.
 * They share one ServingGroup (each server's `group`): the most requests they served at once, together.
 */
import type { TestContext } from 'node:test';
import { startFixtureServer, type FixtureServer, type ServingGroup } from './fixture-server.js';

export async function mirrorServers(t: TestContext, count: number): Promise<FixtureServer[]> {
  const out: FixtureServer[] = [];
  const group: ServingGroup = { serving: 0, peak: 0 };
  for (let i = 0; i < count; i++) {
    const server = await startFixtureServer({ host: `127.0.0.${i + 1}`, group });
    t.after(() => server.close());
    out.push(server);
  }
  return out;
}
