/**
 * The tarball is the product and nothing else: the built code of src/ (JavaScript and type
 * declarations), README, LICENSE and package.json; no tests, fixtures, test helpers, source
 * maps, benchmarks or examples. Its manifest says what users and npm need to know.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packTarball, ROOT, type Tarball } from './packed-project.js';

interface Manifest {
  main?: string;
  types?: string;
  license?: string;
  engines?: { node?: string };
  exports?: Record<string, unknown>;
  bin?: Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
  keywords?: string[];
}

const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** Product sources: every src/ file that is not a test, a fixture or a test helper. */
async function productSources(): Promise<string[]> {
  const entries = await readdir(join(ROOT, 'src'), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(join(ROOT, 'src'), join(e.parentPath, e.name)))
    .filter((path) => !/(^|\/)(fixtures|ts-fixtures|testing)\//.test(path))
    .sort();
}

/** The lowest version a range like ">=20.18.1", "^20.19.0 || >=22.12.0" or ">=14" lets in. */
function floorOf(range: string): [number, number, number] {
  const versions = [...range.matchAll(/(\d+)(?:\.(\d+))?(?:\.(\d+))?/g)].map(
    (m) => [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] as [number, number, number],
  );
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const lowest = versions[0];
  assert.ok(lowest, `no version in the range ${JSON.stringify(range)}`);
  return lowest;
}

const atLeast = (a: readonly number[], b: readonly number[]) =>
  (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0);

describe('the tarball npm pack makes', () => {
  let tarball: Tarball;
  before(async () => {
    tarball = await packTarball();
  });
  after(() => tarball?.remove());

  it('ships README, LICENSE, package.json and dist/ only', () => {
    const outside = tarball.files.filter((path) => !path.startsWith('dist/'));
    assert.deepEqual(outside, ['LICENSE', 'README.md', 'package.json']);
  });

  it('ships no tests, fixtures, test helpers, source maps, benchmarks or examples', () => {
    const strays = tarball.files.filter((path) =>
      /\.test\.|(^|\/)(fixtures|ts-fixtures|testing|bench|examples)\/|\.map$|^dist-/.test(path),
    );
    assert.deepEqual(strays, []);
  });

  it('ships every product module, compiled, with its type declarations', async () => {
    const missing: string[] = [];
    for (const source of await productSources()) {
      const base = `dist/${source.replace(/\.ts$/, '')}`;
      for (const built of [`${base}.js`, `${base}.d.ts`])
        if (!tarball.files.includes(built)) missing.push(built);
    }
    assert.deepEqual(missing, []);
    const stray = tarball.files.filter((p) => p.startsWith('dist/') && !/\.(js|d\.ts)$/.test(p));
    assert.deepEqual(stray, [], 'nothing but JavaScript and declarations under dist/');
  });

  it('ships what exports, main, types and bin point at', () => {
    const targets: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value.replace(/^\.\//, ''));
      else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect([manifest.exports, manifest.main, manifest.types, manifest.bin]);
    assert.ok(targets.length >= 7, String(targets));
    for (const target of targets)
      assert.ok(tarball.files.includes(target), `${target} is not in the tarball`);
  });

  it('the LICENSE is the MIT licence package.json names', async () => {
    assert.equal(manifest.license, 'MIT');
    assert.match(
      await readFile(join(ROOT, 'LICENSE'), 'utf8'),
      /^MIT License\n[\s\S]*Permission is hereby granted, free of charge/,
    );
  });
});

describe('package.json', () => {
  it('builds before packing, so npm pack on a fresh clone ships the built code', () => {
    assert.match(manifest.scripts?.prepack ?? '', /npm run build/);
  });

  it('has no required dependencies: every runtime package is an optional peer', () => {
    assert.equal(manifest.dependencies, undefined);
    const peers = Object.keys(manifest.peerDependencies ?? {});
    assert.ok(peers.includes('bullmq') && peers.includes('tsx'), String(peers));
    for (const name of peers) assert.equal(manifest.peerDependenciesMeta?.[name]?.optional, true, name);
  });

  it("its engines floor is no lower than any optional package's own, and lets require() load ES modules", async () => {
    const floor = floorOf(manifest.engines?.node ?? '');
    assert.ok(
      atLeast(floor, [20, 19, 0]) >= 0,
      `require() of an ES module needs Node 20.19: ${manifest.engines?.node}`,
    );
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      const peer = JSON.parse(
        await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
      ) as Manifest;
      const theirs = peer.engines?.node;
      if (theirs === undefined) continue;
      assert.ok(
        atLeast(floor, floorOf(theirs)) >= 0,
        `${name} needs Node ${theirs}; engines says ${manifest.engines?.node}`,
      );
    }
  });

  it('says where the project lives', () => {
    assert.ok(manifest.repository && manifest.homepage && manifest.bugs);
    assert.ok((manifest.keywords ?? []).length > 0);
  });
});
