/**
 * 1,000 files from a server that answers 10% 500s, cuts 5% of bodies short and resets 5% of
 * connections (each on the first try), and always answers 404 for 1%: every file that lands in
 * --out is byte-identical to the source, no .part is left, and every failure is in the report
 * with its reason.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { faultFor } from '../gallery-server/faults.js';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { listFiles, makeTempDir, runCli } from './testing/cli-runner.js';
import type { DownloadSummary, ItemResult } from './types.js';

const FILES = 1000;
const SIZE = 3000;
const SEED = 42;

describe('download from a faulty server', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startGalleryServer({
      seed: SEED,
      imageSize: SIZE,
      errorRate: 0.1,
      truncateRate: 0.05,
      resetRate: 0.05,
      missingRate: 0.01,
    });
    temp = await makeTempDir('faulty');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('keeps only complete, identical files and reports every failure with its reason', async () => {
    const input = join(temp.path, 'urls.txt');
    const urls = Array.from({ length: FILES }, (_, id) => `${server.url}/i/${id}.jpg`);
    await writeFile(input, `# the stand-in gallery\n${urls.join('\n')}\n`);
    const out = join(temp.path, 'images');
    const report = join(temp.path, 'report.json');
    const result = await runCli([
      'download',
      '--input',
      input,
      '--out',
      out,
      '--report',
      report,
      '--retries',
      '4',
      '--backoff',
      '1',
      '--concurrency',
      '32',
    ]);
    const missing = urls.map((_, id) => id).filter((id) => faultFor(server.options, id) === 'missing');
    const faulty = urls.map((_, id) => id).filter((id) => faultFor(server.options, id) !== 'none');
    assert.ok(missing.length > 0 && faulty.length > 150, 'the seed makes the server misbehave');
    assert.equal(result.code, 1, result.stderr);

    const files = await listFiles(out);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.part')),
      [],
    );
    assert.equal(files.length, FILES - missing.length);
    for (const file of files) {
      const id = Number(file.replace('.jpg', ''));
      assert.deepEqual(
        await readFile(join(out, file)),
        imageBody(SEED, SIZE, id),
        `${file} differs from the source`,
      );
    }

    const written = JSON.parse(await readFile(report, 'utf8')) as {
      summary: DownloadSummary;
      items: ItemResult[];
    };
    assert.equal(written.items.length, FILES);
    assert.equal(written.summary.failed, missing.length);
    assert.equal(written.summary.downloaded, FILES - missing.length);
    const failed = written.items.filter((item) => item.outcome === 'failed');
    assert.deepEqual(
      failed.map((item) => item.index),
      missing,
    );
    for (const item of failed) {
      assert.equal(item.status, 404);
      assert.match(item.reason ?? '', /HTTP 404/);
      assert.match(result.stderr, new RegExp(`failed: ${item.url.replace(/[.?]/g, '\\$&')}: HTTP 404`));
    }
    const retried = written.items.filter((item) => item.attempts > 1 && item.outcome === 'downloaded');
    assert.equal(retried.length, faulty.length - missing.length, 'every faulty image took a retry');
    assert.ok(
      written.items.some((item) => (item.resumedFrom ?? 0) > 0),
      'some truncated bodies were resumed with Range',
    );
    assert.ok(
      written.items.every((item) => item.outcome === 'failed' || item.verified === true),
      'each download was checked against the server digest',
    );
    assert.equal(result.stderr.includes('    at '), false, 'no stack trace');
  });
});
