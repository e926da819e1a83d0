/** What a stale or foreign .part file does: restarted without Range support, caught by the digest with it. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { download } from './download.js';
import { makeTempDir } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

async function fetchOne(url: string, out: string): Promise<ItemResult> {
  let result: ItemResult | undefined;
  for await (const event of download([url], { out, backoff: 1 }))
    if (event.type === 'item') result = event.result;
  return result as ItemResult;
}

describe('partial files and integrity', () => {
  let withRanges: GalleryServer;
  let withoutRanges: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    withRanges = await startGalleryServer({ seed: 8, imageSize: 50_000 });
    withoutRanges = await startGalleryServer({ seed: 8, imageSize: 50_000, ranges: false });
    temp = await makeTempDir('integrity');
  });
  after(async () => {
    await withRanges.close();
    await withoutRanges.close();
    await temp.remove();
  });

  it('restarts a .part from the beginning when the server ignores Range', async () => {
    const out = join(temp.path, 'no-ranges');
    await mkdir(out);
    await writeFile(join(out, '5.jpg.part'), imageBody(8, 50_000, 5).subarray(0, 20_000));
    const result = await fetchOne(`${withoutRanges.url}/i/5.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.resumedFrom, undefined);
    assert.deepEqual(await readFile(join(out, '5.jpg')), imageBody(8, 50_000, 5));
    assert.equal(existsSync(join(out, '5.jpg.part')), false);
  });

  it('resumes a good .part with Range, verified against the digest', async () => {
    const out = join(temp.path, 'good-part');
    await mkdir(out);
    await writeFile(join(out, '6.jpg.part'), imageBody(8, 50_000, 6).subarray(0, 20_000));
    const result = await fetchOne(`${withRanges.url}/i/6.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.resumedFrom, 20_000);
    assert.equal(result.bytes, 30_000);
    assert.equal(result.verified, true);
    assert.deepEqual(await readFile(join(out, '6.jpg')), imageBody(8, 50_000, 6));
  });

  it('finishes a .part that already holds every byte (killed before the rename) without fetching it again', async () => {
    const out = join(temp.path, 'complete-part');
    await mkdir(out);
    await writeFile(join(out, '9.jpg.part'), imageBody(8, 50_000, 9));
    const result = await fetchOne(`${withRanges.url}/i/9.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.resumedFrom, 50_000);
    assert.equal(result.bytes, 0);
    assert.equal(result.verified, true);
    assert.deepEqual(await readFile(join(out, '9.jpg')), imageBody(8, 50_000, 9));
  });

  // A foreign .part whose overlap byte happens to match is caught by the digest: integrity-failures.test.ts.
  it('throws away a foreign .part whose overlap byte differs, and fetches the file whole', async () => {
    const out = join(temp.path, 'bad-part');
    await mkdir(out);
    await writeFile(join(out, '7.jpg.part'), Buffer.alloc(20_000, 0x41));
    const result = await fetchOne(`${withRanges.url}/i/7.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2, 'the resumed attempt was refused, the next one started over');
    assert.equal(result.resumedFrom, undefined);
    assert.deepEqual(await readFile(join(out, '7.jpg')), imageBody(8, 50_000, 7));
  });
});
