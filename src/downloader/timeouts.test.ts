/** A server that goes silent mid-body trips the idle timeout; the retry resumes and completes the file. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { makeTempDir } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

describe('idle timeout', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    // Every image drips on its first request with minute-long pauses: far beyond the client's idle timeout.
    server = await startGalleryServer({ seed: 4, imageSize: 64 * 1024, dripRate: 1, dripInterval: 60_000 });
    temp = await makeTempDir('timeouts');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('gives up on a silent response and resumes it on the next attempt', async () => {
    const out = join(temp.path, 'out');
    const items: ItemResult[] = [];
    for await (const event of download([`${server.url}/i/1.jpg`, `${server.url}/i/2.jpg`], {
      out,
      idleTimeout: 300,
      backoff: 1,
    })) {
      if (event.type === 'item') items.push(event.result);
    }
    assert.equal(items.length, 2, 'one result per URL');
    for (const item of items) {
      assert.equal(item.outcome, 'downloaded');
      assert.equal(item.attempts, 2);
      assert.ok((item.resumedFrom ?? 0) > 0, 'the bytes that came before the silence were kept');
      assert.deepEqual(
        await readFile(join(out, item.name)),
        imageBody(4, 64 * 1024, Number(item.name.split('.')[0])),
      );
    }
  });
});
