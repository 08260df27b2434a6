/** `count` fixture servers on 127.0.0.1, 127.0.0.2 …: one file's mirrors on distinct hosts, closed after the test. */
import type { TestContext } from 'node:test';
import { startFixtureServer, type FixtureServer } from './fixture-server.js';

export async function mirrorServers(t: TestContext, count: number): Promise<FixtureServer[]> {
  const out: FixtureServer[] = [];
  for (let i = 0; i < count; i++) {
    const server = await startFixtureServer({ host: `127.0.0.${i + 1}` });
    t.after(() => server.close());
    out.push(server);
  }
  return out;
}
