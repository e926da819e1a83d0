/** The same download task runs on worker threads and child processes, one Agent per worker. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { imageIdOf, makeTempDir } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

describe('download on threads and processes', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startGalleryServer({ seed: 21, imageSize: 600_000, truncateRate: 0.3, errorRate: 0.2 });
    temp = await makeTempDir('backends');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  for (const [backend, offset] of [
    ['threads', 0],
    ['processes', 100],
  ] as const) {
    it(`downloads, retries and resumes on ${backend}`, async () => {
      const out = join(temp.path, backend);
      const urls = Array.from({ length: 12 }, (_, i) => `${server.url}/i/${offset + i}.jpg`);
      const items: ItemResult[] = [];
      for await (const event of download(urls, { out, backend, workers: 2, backoff: 1 })) {
        if (event.type === 'item') items.push(event.result);
      }
      assert.equal(items.length, 12);
      assert.ok(
        items.every((item) => item.outcome === 'downloaded'),
        JSON.stringify(items.filter((i) => i.outcome !== 'downloaded')),
      );
      assert.ok(items.some((item) => item.attempts > 1));
      for (const item of items) {
        assert.deepEqual(await readFile(join(out, item.name)), imageBody(21, 600_000, imageIdOf(item.url)));
      }
    });
  }
});
