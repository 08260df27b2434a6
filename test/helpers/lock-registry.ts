/**
 * A read-only npm registry on 127.0.0.1 that knows exactly the packages of pdl's package-lock.json and serves their
 * tarballs from npm's local cache (filled by `npm ci`). Installing the packed tarball against it resolves pdl's
 * dependencies the way a user's install does, without the test reaching the public registry.
 */
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  link?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
}

interface Version {
  manifest: Record<string, unknown>;
  /** Undefined for an optional package of another platform: npm reads its os/cpu and never asks for the tarball. */
  file: string | undefined;
}

export interface LockRegistry {
  url: string;
  close(): Promise<void>;
}

/** Where cacache keeps a tarball with this integrity (`sha512-<base64>`). */
function cachedTarball(cache: string, integrity: string): string {
  const [algorithm, base64] = integrity.split('-', 2) as [string, string];
  const hex = Buffer.from(base64, 'base64').toString('hex');
  return join(cache, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

export async function startLockRegistry(lockFile: string, cache: string): Promise<LockRegistry> {
  const lock = JSON.parse(await readFile(lockFile, 'utf8')) as { packages: Record<string, LockEntry> };
  const packages = new Map<string, Map<string, Version>>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0 || entry.link || !entry.version || !entry.integrity) continue;
    const name = path.slice(at + 'node_modules/'.length);
    let file: string | undefined = cachedTarball(cache, entry.integrity);
    // A cache without the tarball is a setup problem worth failing loudly on, except for optional packages of other
    // platforms (msgpackr's prebuilt binaries for darwin, win32…), which `npm ci` never fetches here.
    await access(file).catch((error: unknown) => {
      if (!entry.optional || (!entry.os && !entry.cpu)) throw error;
      file = undefined;
    });
    const { version, integrity, dependencies, optionalDependencies, peerDependencies, peerDependenciesMeta, engines, bin, os, cpu } = entry;
    const versions = packages.get(name) ?? new Map<string, Version>();
    versions.set(version, {
      file,
      manifest: { name, version, dependencies, optionalDependencies, peerDependencies, peerDependenciesMeta, engines, bin, os, cpu, dist: { integrity } },
    });
    packages.set(name, versions);
  }

  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const tarball = /^(.+)\/-\/[^/]+-(\d[^/]*)\.tgz$/.exec(path);
    if (tarball) {
      const found = packages.get(tarball[1]!)?.get(tarball[2]!);
      if (!found?.file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void createReadStream(found.file).pipe(res);
    }
    const versions = packages.get(path);
    if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    const origin = `http://${req.headers.host}`;
    const body = {
      name: path,
      'dist-tags': { latest: [...versions.keys()].at(-1) },
      versions: Object.fromEntries(
        [...versions].map(([version, { manifest }]) => [
          version,
          { ...manifest, dist: { ...(manifest.dist as object), tarball: `${origin}/${path}/-/${path.split('/').at(-1)}-${version}.tgz` } },
        ]),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
