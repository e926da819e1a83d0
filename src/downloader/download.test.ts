/** The library API: download(source, options) as an async iterable of events, on in-process backends. */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
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

  it('stops when the consumer stops: nothing more is fetched, no finished-looking partial file', async () => {
    const out = join(temp.path, 'stopped');
    const ids = Array.from({ length: 24 }, (_, i) => 200 + i);
    const urls = ids.map((id) => `${server.url}/i/${id}.jpg`);
    const requested = () => ids.filter((id) => server.stats.requestsFor(id) > 0).length;
    const kept: string[] = [];
    for await (const event of download(urls, { out, concurrency: 2, backoff: 1 })) {
      if (event.type === 'item' && event.result.outcome === 'downloaded') kept.push(event.result.name);
      if (kept.length === 2) break;
    }
    // Two finished, at most a window of four more started: the other 18 were never asked for.
    const atStop = requested();
    assert.ok(atStop >= 2 && atStop <= 6, `${atStop} of 24 files were requested`);
    // A whole second run later, the stopped one has asked for nothing more.
    for await (const _ of download([`${server.url}/i/300.jpg`], { out: join(temp.path, 'after-stop') }));
    assert.equal(requested(), atStop, 'the stopped run went on fetching');
    const names = await readdir(out);
    for (const name of kept) assert.ok(names.includes(name), `${name} was reported downloaded`);
    for (const name of names.filter((n) => !n.endsWith('.part'))) {
      assert.deepEqual(await readFile(join(out, name)), imageBody(5, 3 << 20, Number.parseInt(name, 10)));
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
