/**
 * Per-host limits across machines: three `taskmill worker` processes share one download run
 * (`--backend redis`) against two stand-in servers (two hosts). Each server counts its open
 * connections and stamps every request: a host never sees more than --per-host connections nor
 * more than --rate requests a second from the run, in all, although each worker alone would be
 * allowed as many. A worker killed with SIGKILL mid-run leaves leases that lapse: the others
 * finish the run, still within the cap.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../distributed/testing/redis-server.js';
import { spawnWorkerProcess, type WorkerProcess } from '../distributed/testing/worker-process.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import type { DownloadOptions } from './options.js';
import { LEASE_MS } from './shared-limits.js';
import { makeTempDir } from './testing/cli-runner.js';

const TASKS = fileURLToPath(new URL('./download-task.js', import.meta.url));

/** Most requests that arrived within any one second. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('per-host limits shared by 3 workers through Redis', { timeout: 120_000 }, () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let workers: WorkerProcess[] = [];
  let hosts: GalleryServer[] = [];
  let run = 0;

  before(async () => {
    redis = await startRedisServer();
    temp = await makeTempDir('shared-limits');
    workers = await Promise.all(
      [1, 2, 3].map(() =>
        spawnWorkerProcess({ tasks: [TASKS], queue: 'limits', connection: redis.plainUrl, concurrency: 8 }),
      ),
    );
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.all(hosts.map((host) => host.close()));
    await redis?.stop();
    await temp?.remove();
  });

  async function twoHosts(latency: number): Promise<[GalleryServer, GalleryServer]> {
    hosts = await Promise.all([
      startGalleryServer({ seed: 1, imageSize: 20_000, latency }),
      startGalleryServer({ seed: 2, imageSize: 20_000, latency }),
    ]);
    return hosts as [GalleryServer, GalleryServer];
  }

  async function downloadAll(
    urls: string[],
    options: DownloadOptions,
    onItem?: (settled: number) => void,
  ): Promise<number> {
    let downloaded = 0;
    let settled = 0;
    for await (const event of download(urls, {
      out: join(temp.path, `run${run++}`),
      backend: 'redis',
      concurrency: 24,
      backoff: 1,
      ...options,
      pool: { connection: redis.plainUrl, queue: 'limits' },
    })) {
      if (event.type !== 'item') continue;
      settled++;
      if (event.result.outcome === 'downloaded') downloaded++;
      else assert.fail(JSON.stringify(event.result));
      onItem?.(settled);
    }
    return downloaded;
  }

  it('never lets a host see more than --per-host connections in all', async () => {
    const [a, b] = await twoHosts(60);
    const urls = Array.from({ length: 40 }, (_, i) => [`${a.url}/i/${i}.jpg`, `${b.url}/i/${i}.jpg`]).flat();
    assert.equal(await downloadAll(urls, { connectionsPerHost: 3 }), 80);
    for (const host of [a, b]) {
      // Each worker alone may open 3 to each host: 9 in all without the shared cap.
      assert.ok(host.stats.maxOpenConnections <= 3, `${host.stats.maxOpenConnections} connections at once`);
      assert.equal(host.stats.maxOpenConnections, 3, 'the cap is used to the full');
    }
    const client = new Redis(redis.plainUrl);
    try {
      assert.deepEqual(await client.keys('*taskmill-limits*'), [], 'the run took its limits with it');
    } finally {
      client.disconnect();
    }
    await Promise.all(hosts.map((host) => host.close()));
  });

  it('keeps --rate in all, whatever the number of workers', async () => {
    const [a, b] = await twoHosts(0);
    const urls = Array.from({ length: 30 }, (_, i) => [`${a.url}/i/${i}.jpg`, `${b.url}/i/${i}.jpg`]).flat();
    const rate = 20;
    const began = performance.now();
    assert.equal(await downloadAll(urls, { rate }), 60);
    const seconds = (performance.now() - began) / 1000;
    const times = [...a.stats.requestTimes, ...b.stats.requestTimes];
    // A burst of ceil(20 / 10) = 2, then 20 a second: 60 requests take at least 2.9 s.
    assert.ok(seconds >= 2.5, `60 requests in ${seconds.toFixed(2)} s at --rate ${rate}`);
    const busiest = busiestSecond(times);
    assert.ok(busiest <= rate + 2 + 2, `${busiest} requests within one second at --rate ${rate}`);
    await Promise.all(hosts.map((host) => host.close()));
  });

  it('lets the leases of a killed worker lapse: the others finish, within the cap', async () => {
    const [a, b] = await twoHosts(100);
    const urls = Array.from({ length: 40 }, (_, i) => [`${a.url}/i/${i}.jpg`, `${b.url}/i/${i}.jpg`]).flat();
    const victim = workers[0] as WorkerProcess;
    let killedAt = 0;
    const began = performance.now();
    const downloaded = await downloadAll(urls, { connectionsPerHost: 2 }, (settled) => {
      if (settled === 10) {
        victim.killHost();
        killedAt = performance.now();
      }
    });
    assert.equal(downloaded, 80);
    assert.ok(killedAt > 0);
    for (const host of [a, b]) {
      assert.ok(host.stats.maxOpenConnections <= 2, `${host.stats.maxOpenConnections} connections at once`);
    }
    // The run could not end before the dead worker's jobs came back and its leases lapsed.
    assert.ok(performance.now() - began < LEASE_MS * 6, 'finished long after the leases lapsed');
  });
});
