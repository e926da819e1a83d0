/**
 * `--backend redis` with no worker on the queue: a warning within a few seconds naming the
 * queue and the command that starts a worker, then the run keeps waiting and finishes once a
 * worker comes; with `waitForWorker` it fails instead (NoWorkerError); with a worker there from
 * the start, no warning at all. Real redis-server, real workers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRedisServer } from '../distributed/testing/redis-server.js';
import { type RedisWorker, startWorker } from '../distributed/worker.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { makeTempDir } from './testing/cli-runner.js';
import type { DownloadEvent } from './types.js';
import { WARN_AFTER_MS } from './worker-watch.js';

describe('--backend redis with no worker on the queue', { timeout: 90_000 }, () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  const workers: RedisWorker[] = [];
  before(async () => {
    server = await startGalleryServer({ imageSize: 5000 });
    temp = await makeTempDir('no-worker');
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await redis?.stop();
    await server?.close();
    await temp?.remove();
  });

  const startDownloadWorker = async (queue: string) => {
    const worker = await startWorker({
      tasks: [new URL('./download-task.js', import.meta.url)],
      queue,
      connection: redis.plainUrl,
      isolation: 'none',
    });
    workers.push(worker);
    return worker;
  };

  const urls = (n: number) => Array.from({ length: n }, (_, i) => `${server.url}/i/${i}.jpg`);

  it('warns within a few seconds, keeps waiting, and finishes once a worker comes', async () => {
    const began = performance.now();
    let warnedAfter: number | undefined;
    let warning = '';
    let downloaded = 0;
    for await (const event of download(urls(5), {
      out: join(temp.path, 'waits'),
      backend: 'redis',
      pool: { connection: redis.plainUrl, queue: 'lonely' },
    })) {
      if (event.type === 'warning') {
        assert.equal(warnedAfter, undefined, 'one warning per spell without workers');
        warnedAfter = performance.now() - began;
        warning = event.message;
        assert.equal(event.code, 'ERR_TASKMILL_NO_WORKER');
        await startDownloadWorker('lonely');
      }
      if (event.type === 'item' && event.result.outcome === 'downloaded') downloaded++;
    }
    assert.ok(warnedAfter !== undefined, 'a warning came');
    assert.ok(warnedAfter >= WARN_AFTER_MS - 100 && warnedAfter < 6000, `warned after ${warnedAfter} ms`);
    assert.match(
      warning,
      /^no worker is consuming queue lonely on redis:\/\/127\.0\.0\.1:\d+\/0: start `taskmill worker --tasks \S+download-task\.js --queue lonely --redis redis:\/\/127\.0\.0\.1:\d+\/0`/,
    );
    assert.equal(downloaded, 5, 'the run went on once a worker came');
  });

  it('fails after waitForWorker seconds without a worker, saying what to start', async () => {
    const began = performance.now();
    await assert.rejects(
      async () => {
        for await (const _ of download(urls(2), {
          out: join(temp.path, 'gives-up'),
          backend: 'redis',
          waitForWorker: 1,
          pool: { connection: redis.plainUrl, queue: 'nobody' },
        })) {
          // Only the failure matters.
        }
      },
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_TASKMILL_NO_WORKER');
        assert.match(error.message, /no worker consumed queue nobody .* for 1 s: start `taskmill worker/);
        return true;
      },
    );
    const took = performance.now() - began;
    assert.ok(took >= 900 && took < 8000, `gave up after ${took} ms`);
  });

  it('says nothing when a worker is there', async () => {
    await startDownloadWorker('staffed');
    const slow = await startGalleryServer({ imageSize: 5000, latency: WARN_AFTER_MS + 1500 });
    const events: DownloadEvent[] = [];
    try {
      for await (const event of download([`${slow.url}/i/1.jpg`], {
        out: join(temp.path, 'staffed'),
        backend: 'redis',
        pool: { connection: redis.plainUrl, queue: 'staffed' },
      })) {
        events.push(event);
      }
    } finally {
      await slow.close();
    }
    assert.deepEqual(
      events.filter((event) => event.type === 'warning'),
      [],
    );
    assert.equal(events.filter((event) => event.type === 'item').length, 1);
  });
});
