/** The crawler against doutula-style pages on the stand-in server, hostile names included. */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { type CrawlEvent, crawl } from './crawl.js';
import { findImages } from './list-page-parser.js';
import { imageIdOf, listFiles, makeTempDir, runCli } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

const SEED = 11;
const SIZE = 2048;

describe('crawl', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startGalleryServer({
      seed: SEED,
      imageSize: SIZE,
      pages: 6,
      perPage: 10,
      hostileNames: true,
    });
    temp = await makeTempDir('crawl');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('finds each picture and its name with CSS selectors', async () => {
    const html = await (await fetch(`${server.listUrl}?page=2`)).text();
    const images = findImages(html, `${server.listUrl}?page=2`);
    assert.equal(images.length, 10);
    assert.match(images[9]?.name ?? '', /^表情19$/);
    assert.ok(images.every((image) => image.url.startsWith(`${server.url}/i/`)));
    const byAlt = findImages(html, server.url, {
      image: 'img.lazy',
      urlAttributes: ['data-backup'],
      name: 'span',
    });
    assert.deepEqual(
      byAlt.map((i) => i.name),
      images.map((i) => i.name),
    );
  });

  it('crawls until a page has no pictures, keeping every file inside --out and identical', async () => {
    const base = join(temp.path, 'until-empty');
    const out = join(base, 'out');
    const items: ItemResult[] = [];
    const pages: number[] = [];
    for await (const event of crawl({
      listUrl: `${server.listUrl}?page={page}`,
      out,
      pageWorkers: 2,
      concurrency: 8,
    })) {
      const e = event as CrawlEvent;
      if (e.type === 'item') items.push(e.result);
      if (e.type === 'page') pages.push(e.page);
    }
    assert.deepEqual(pages.slice(0, 7), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(items.length, 60);
    assert.ok(items.every((item) => item.outcome === 'downloaded'));
    assert.deepEqual(await readdir(base), ['out']);
    const files = await listFiles(out);
    assert.equal(files.length, 60);
    assert.equal(new Set(files.map((f) => f.toLowerCase())).size, 60);
    for (const item of items) {
      assert.deepEqual(await readFile(join(out, item.name)), imageBody(SEED, SIZE, imageIdOf(item.url)));
    }
  });

  it('names files the same way on a re-run, so nothing is fetched twice', async () => {
    const out = join(temp.path, 'again');
    const args = [
      'crawl',
      '--list-url',
      `${server.listUrl}?page={page}`,
      '--pages',
      '1-3',
      '--out',
      out,
      '-q',
    ];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    const requests = server.stats.imageRequests;
    const report = join(temp.path, 'again.json');
    const second = await runCli([...args, '--report', report]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(server.stats.imageRequests, requests, 'no picture requested again');
    const items = (JSON.parse(await readFile(report, 'utf8')) as { items: ItemResult[] }).items;
    assert.equal(items.length, 30);
    assert.ok(items.every((item) => item.outcome === 'skipped'));
  });

  it('refuses a bad selector or page range with status 2', async () => {
    const bad = await runCli([
      'crawl',
      '--list-url',
      `${server.listUrl}?page={page}`,
      '--image-selector',
      'img[',
      '--out',
      join(temp.path, 'x'),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /image selector "img\[" is not valid CSS/);
    const range = await runCli(['crawl', '--pages', '5-2']);
    assert.equal(range.code, 2);
    assert.match(range.stderr, /--pages/);
  });
});
