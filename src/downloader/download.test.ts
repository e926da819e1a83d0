/** The library API: download(source, options) as an async iterable of events, on in-process backends. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { faultFor } from '../gallery-server/faults.js';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { backoffDelay, parseRetryAfter } from './retry-policy.js';
import { makeTempDir } from './testing/cli-runner.js';
import type { DownloadEvent } from './types.js';

describe('download()', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startGalleryServer({
      images: 24,
      imageSize: 3 << 20,
      seed: 5,
      tooManyRequestsRate: 0.25,
      retryAfter: 0,
    });
    temp = await makeTempDir('library');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  for (const backend of ['async', 'sequential'] as const) {
    it(`yields start, byte progress, one item per input and a summary (${backend})`, async () => {
      const out = join(temp.path, backend);
      const urls = [0, 1, 2, 3].map((id) => `${server.url}/i/${id + (backend === 'async' ? 0 : 4)}.jpg`);
      const events: DownloadEvent[] = [];
      for await (const event of download(urls, { out, backend, backoff: 1, progressEvery: 1 << 20 })) {
        events.push(event);
      }
      assert.equal(events[0]?.type, 'start');
      assert.equal(events.at(-1)?.type, 'end');
      const items = events.flatMap((e) => (e.type === 'item' ? [e.result] : []));
      assert.deepEqual(items.map((i) => i.index).sort(), [0, 1, 2, 3]);
      assert.ok(
        events.some((e) => e.type === 'bytes'),
        'large files report bytes as they arrive',
      );
      const end = events.at(-1);
      assert.ok(end?.type === 'end' && end.summary.downloaded === 4 && end.summary.bytes === 4 * (3 << 20));
      for (const item of items) {
        const id = Number(item.name.replace('.jpg', ''));
        assert.deepEqual(await readFile(join(out, item.name)), imageBody(5, 3 << 20, id));
        const throttled = faultFor(server.options, id) === 'too-many-requests';
        assert.equal(item.attempts, throttled ? 2 : 1, `429 then success for ${item.name}`);
      }
    });
  }

  it('stops when the consumer stops, leaving no finished-looking partial file', async () => {
    const out = join(temp.path, 'stopped');
    const urls = Array.from({ length: 24 }, (_, id) => `${server.url}/i/${id}.jpg`);
    let seen = 0;
    for await (const event of download(urls, { out, concurrency: 2, backoff: 1 })) {
      if (event.type === 'item' && ++seen === 2) break;
    }
    // Any completed name is a complete file.
    for (const id of urls.keys()) {
      const body = await readFile(join(out, `${id}.jpg`)).catch(() => undefined);
      if (body !== undefined) assert.deepEqual(body, imageBody(5, 3 << 20, id));
    }
  });
});

describe('retry policy', () => {
  it('doubles the backoff per retry, with jitter, up to the cap', () => {
    assert.equal(
      backoffDelay(1, 100, 10_000, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(1, 100, 10_000, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(4, 100, 10_000, () => 1),
      800,
    );
    assert.equal(
      backoffDelay(20, 100, 1000, () => 1),
      1000,
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
