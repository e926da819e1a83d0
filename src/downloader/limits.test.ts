/** The per-host connection cap and the User-Agent, as the server sees them. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { makeTempDir, runCli } from './testing/cli-runner.js';

describe('connection cap and user agent', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startGalleryServer({ imageSize: 20_000, latency: 20 });
    temp = await makeTempDir('limits');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('never opens more connections to one host than --per-host, whatever the concurrency', async () => {
    const urls = Array.from({ length: 40 }, (_, i) => `${server.url}/i/${i}.jpg`);
    let downloaded = 0;
    for await (const event of download(urls, {
      out: join(temp.path, 'cap'),
      concurrency: 16,
      connectionsPerHost: 3,
    })) {
      if (event.type === 'item' && event.result.outcome === 'downloaded') downloaded++;
    }
    assert.equal(downloaded, 40);
    assert.ok(server.stats.maxOpenConnections <= 3, `${server.stats.maxOpenConnections} connections at once`);
    assert.ok(server.stats.maxOpenConnections >= 1);
  });

  it('sends --user-agent with every request', async () => {
    const result = await runCli([
      'download',
      `${server.url}/i/100.jpg`,
      '--out',
      join(temp.path, 'ua'),
      '--user-agent',
      'seed-crawler/1.0 (test)',
      '-q',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(server.stats.userAgents.has('seed-crawler/1.0 (test)'));
  });
});
