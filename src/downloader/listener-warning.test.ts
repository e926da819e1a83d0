/**
 * A large download (hundreds of files, 32 in flight, each waiting on the rate, the backoff after
 * a fault, or a large body) puts no more than one listener on the run's abort signal, so Node
 * never prints MaxListenersExceededWarning: in this process (process.on('warning')), and on
 * worker threads (their warnings reach the CLI's stderr).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { makeTempDir, runCli } from './testing/cli-runner.js';

describe('no MaxListenersExceededWarning on large downloads', { timeout: 120_000 }, () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  before(async () => {
    server = await startGalleryServer({ imageSize: 200_000, errorRate: 0.2, truncateRate: 0.1 });
    temp = await makeTempDir('listeners');
    process.on('warning', onWarning);
  });
  after(async () => {
    process.off('warning', onWarning);
    await server.close();
    await temp.remove();
  });

  const urls = (from: number) => Array.from({ length: 300 }, (_, i) => `${server.url}/i/${from + i}.jpg`);

  it('in this process (async backend): no warning', async () => {
    const controller = new AbortController();
    let downloaded = 0;
    for await (const event of download(urls(0), {
      out: join(temp.path, 'async'),
      concurrency: 32,
      rate: 400,
      backoff: 5,
      signal: controller.signal,
    })) {
      if (event.type === 'item' && event.result.outcome === 'downloaded') downloaded++;
    }
    assert.equal(downloaded, 300);
    assert.deepEqual(
      warnings.filter((w) => w.includes('MaxListeners')),
      [],
    );
  });

  it('on worker threads, through the CLI: no warning on stderr', async () => {
    const list = join(temp.path, 'urls.txt');
    await writeFile(list, urls(1000).join('\n'));
    const result = await runCli([
      'download',
      '-i',
      list,
      '--out',
      join(temp.path, 'threads'),
      '--backend',
      'threads',
      '--workers',
      '2',
      '-c',
      '32',
      '--rate',
      '400',
      '--backoff',
      '5',
      '-q',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /300 downloaded/);
    assert.doesNotMatch(result.stderr, /MaxListenersExceededWarning/);
  });
});
