/** The same download task on the redis backend: jobs through a real redis-server (started here), a worker that knows the task. */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedisServer } from '../distributed/testing/redis-server.js';
import { startWorker } from '../distributed/worker.js';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { imageIdOf, makeTempDir } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

describe('download on the redis backend', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  before(async () => {
    server = await startGalleryServer({ seed: 13, imageSize: 30_000, errorRate: 0.3 });
    temp = await makeTempDir('redis');
    redis = await startRedisServer();
    worker = await startWorker({
      tasks: [new URL('./download-task.js', import.meta.url)],
      queue: 'downloads',
      connection: redis.plainUrl,
      concurrency: 8,
      // In this process: a test below sets TASKMILL_DOWNLOAD_ROOT while the worker runs.
      isolation: 'none',
    });
  });
  after(async () => {
    await worker?.close();
    await redis?.stop();
    await server.close();
    await temp.remove();
  });

  it('downloads every file, retrying on the worker', async () => {
    const out = join(temp.path, 'out');
    const urls = Array.from({ length: 20 }, (_, i) => `${server.url}/i/${i}.jpg`);
    const items: ItemResult[] = [];
    for await (const event of download(urls, {
      out,
      backend: 'redis',
      backoff: 1,
      pool: { connection: redis.plainUrl, queue: 'downloads' },
    })) {
      if (event.type === 'item') items.push(event.result);
    }
    assert.equal(items.length, 20);
    assert.ok(
      items.every((item) => item.outcome === 'downloaded'),
      JSON.stringify(items.find((i) => i.outcome !== 'downloaded')),
    );
    assert.ok(items.some((item) => item.attempts > 1));
    for (const item of items) {
      assert.deepEqual(await readFile(join(out, item.name)), imageBody(13, 30_000, imageIdOf(item.url)));
    }
  });

  it('lets a worker confine downloads to TASKMILL_DOWNLOAD_ROOT', async () => {
    const allowed = join(temp.path, 'allowed');
    await mkdir(allowed);
    const elsewhere = join(temp.path, 'elsewhere');
    process.env.TASKMILL_DOWNLOAD_ROOT = allowed;
    const items: ItemResult[] = [];
    try {
      for await (const event of download([`${server.url}/i/1.jpg`], {
        out: elsewhere,
        backend: 'redis',
        pool: { connection: redis.plainUrl, queue: 'downloads' },
      })) {
        if (event.type === 'item') items.push(event.result);
      }
    } finally {
      delete process.env.TASKMILL_DOWNLOAD_ROOT;
    }
    assert.equal(items[0]?.outcome, 'failed');
    assert.match(items[0]?.reason ?? '', /only writes under TASKMILL_DOWNLOAD_ROOT/);
    assert.deepEqual(await readdir(elsewhere), []);
  });
});
