import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { faultFor } from './faults.js';
import { imageBody } from './image-bodies.js';
import { PAGE_ID_BASE } from './pages.js';
import { type GalleryServer, startGalleryServer } from './server.js';

describe('stand-in gallery server', () => {
  let server: GalleryServer;
  before(async () => {
    server = await startGalleryServer({ images: 30, imageSize: 5000, pages: 2, perPage: 4, seed: 7 });
  });
  after(() => server.close());

  it('refuses the gallery API without an Authorization: Client-ID header', async () => {
    const res = await fetch(server.apiUrl);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { success: boolean }).success, false);
  });

  it('answers the gallery API in Imgur shape with .jpg, .gif and album links', async () => {
    const res = await fetch(server.apiUrl, { headers: { authorization: 'Client-ID abc' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: { link: string; is_album: boolean }[] };
    const links = body.data.map((d) => d.link);
    assert.equal(links.filter((l) => l.endsWith('.jpg')).length, 30);
    assert.ok(links.some((l) => l.endsWith('.gif')));
    assert.ok(body.data.some((d) => d.is_album));
  });

  it('serves deterministic bodies with a digest, and the rest of one with Range', async () => {
    const expected = imageBody(7, 5000, 3);
    const full = await fetch(`${server.url}/i/3.jpg`);
    assert.equal(full.status, 200);
    assert.deepEqual(Buffer.from(await full.arrayBuffer()), expected);
    assert.match(full.headers.get('digest') ?? '', /^md5=/);
    const part = await fetch(`${server.url}/i/3.jpg`, { headers: { range: 'bytes=1000-' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 1000-4999/5000');
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), expected.subarray(1000));
    assert.notDeepEqual(imageBody(7, 5000, 4), expected);
  });

  it('serves doutula-style list pages, and pages past the end without images', async () => {
    const page = await (await fetch(`${server.listUrl}?page=2`)).text();
    assert.equal(page.match(/data-original=/g)?.length, 4);
    assert.ok(page.includes(`/i/${PAGE_ID_BASE + 4}.jpg`));
    const past = await (await fetch(`${server.listUrl}?page=3`)).text();
    assert.equal(past.match(/data-original=/g), null);
  });

  it('counts requests per image', async () => {
    const before = server.stats.requestsFor(9);
    await (await fetch(`${server.url}/i/9.jpg`)).arrayBuffer();
    assert.equal(server.stats.requestsFor(9), before + 1);
  });
});

describe('stand-in gallery server faults', () => {
  it('fails each faulty image on its first request only, as chosen by the seed', async () => {
    const server = await startGalleryServer({
      images: 50,
      imageSize: 2000,
      errorRate: 0.3,
      tooManyRequestsRate: 0.2,
    });
    try {
      const resolved = server.options;
      let errors = 0;
      let throttled = 0;
      for (let id = 0; id < 50; id++) {
        const fault = faultFor(resolved, id);
        const first = await fetch(`${server.url}/i/${id}.jpg`);
        await first.arrayBuffer();
        if (fault === 'error') {
          errors++;
          assert.equal(first.status, 500);
        } else if (fault === 'too-many-requests') {
          throttled++;
          assert.equal(first.status, 429);
          assert.equal(first.headers.get('retry-after'), '1');
        } else assert.equal(first.status, 200);
        const second = await fetch(`${server.url}/i/${id}.jpg`);
        assert.equal(second.status, 200);
        assert.deepEqual(Buffer.from(await second.arrayBuffer()), imageBody(1, 2000, id));
      }
      assert.ok(errors > 0 && throttled > 0, 'the seed chose some faulty images');
    } finally {
      await server.close();
    }
  });

  it('cuts truncated bodies short and resets connections', async () => {
    const server = await startGalleryServer({
      images: 20,
      imageSize: 4000,
      truncateRate: 0.5,
      resetRate: 0.5,
    });
    try {
      const truncated = [...Array(20).keys()].find((id) => faultFor(server.options, id) === 'truncate');
      const reset = [...Array(20).keys()].find((id) => faultFor(server.options, id) === 'reset');
      assert.ok(truncated !== undefined && reset !== undefined);
      await assert.rejects(async () => (await fetch(`${server.url}/i/${truncated}.jpg`)).arrayBuffer());
      await assert.rejects(() => fetch(`${server.url}/i/${reset}.jpg`));
    } finally {
      await server.close();
    }
  });
});
