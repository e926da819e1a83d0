/** Hostile names from pages and URLs never put anything outside --out. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOSTILE_NAMES } from '../gallery-server/hostile-names.js';
import { imageBody } from '../gallery-server/image-bodies.js';
import { galleryImagePath } from '../gallery-server/pages.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { MAX_NAME_BYTES } from './safe-name.js';
import { listFiles, makeTempDir } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

const SEED = 3;
const SIZE = 1500;

function outsidePaths(out: string): string[] {
  return [
    resolve(out, '../../x'),
    resolve(out, '../x'),
    resolve(out, '../../y'),
    resolve(out, '../y'),
    '/etc/x',
    resolve(out, '..', 'windows'),
  ];
}

describe('hostile file names', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startGalleryServer({ seed: SEED, imageSize: SIZE, hostileNames: true });
    temp = await makeTempDir('hostile');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('keeps names given by a page inside --out, distinct even ignoring case', async () => {
    const base = join(temp.path, 'names');
    const out = join(base, 'out');
    const inputs = HOSTILE_NAMES.map((name, id) => ({ url: `${server.url}/i/${id}.jpg`, name }));
    const results: ItemResult[] = [];
    for await (const event of download(inputs, { out, backoff: 1 })) {
      if (event.type === 'item') results.push(event.result);
    }
    assert.equal(results.filter((r) => r.outcome === 'downloaded').length, HOSTILE_NAMES.length);
    assert.deepEqual(await readdir(base), ['out']);
    const files = await listFiles(out);
    assert.equal(files.length, HOSTILE_NAMES.length);
    assert.equal(
      new Set(files.map((f) => f.toLowerCase())).size,
      files.length,
      'no two names differ only in case',
    );
    for (const file of files) {
      assert.ok(!file.includes('/'), `${file} is in a subfolder`);
      assert.ok(Buffer.byteLength(file) <= MAX_NAME_BYTES);
    }
    for (const result of results) {
      assert.deepEqual(await readFile(join(out, result.name)), imageBody(SEED, SIZE, result.index));
    }
    for (const path of outsidePaths(out)) assert.equal(existsSync(path), false, `${path} was written`);
  });

  it('keeps names taken from hostile URLs inside --out', async () => {
    const base = join(temp.path, 'urls');
    const out = join(base, 'out');
    const urls = HOSTILE_NAMES.map((_, id) => server.url + galleryImagePath(server.options, id));
    assert.ok(urls.some((u) => u.includes('%2F')));
    let downloaded = 0;
    for await (const event of download(urls, { out, backoff: 1 })) {
      if (event.type === 'item' && event.result.outcome === 'downloaded') downloaded++;
    }
    assert.equal(downloaded, urls.length);
    assert.deepEqual(await readdir(base), ['out']);
    assert.equal((await listFiles(out)).length, urls.length);
    for (const path of outsidePaths(out)) assert.equal(existsSync(path), false, `${path} was written`);
  });

  it('never writes through a planted symlink', async () => {
    const base = join(temp.path, 'links');
    const out = join(base, 'out');
    await mkdir(out, { recursive: true });
    const victim = join(base, 'victim.txt');
    await writeFile(victim, 'keep me');
    await symlink(victim, join(out, 'evil.jpg.part'));
    await symlink(victim, join(out, 'taken.jpg'));
    const results: ItemResult[] = [];
    const inputs = [
      { url: `${server.url}/i/1.jpg`, name: 'evil.jpg' },
      { url: `${server.url}/i/2.jpg`, name: 'taken.jpg' },
    ];
    for await (const event of download(inputs, { out, backoff: 1 })) {
      if (event.type === 'item') results.push(event.result);
    }
    assert.equal(await readFile(victim, 'utf8'), 'keep me');
    assert.deepEqual(
      results.sort((a, b) => a.index - b.index).map((r) => r.outcome),
      ['downloaded', 'skipped'],
    );
    assert.deepEqual(await readFile(join(out, 'evil.jpg')), imageBody(SEED, SIZE, 1));
  });
});
