/** Bad input: a clear one-line message, the right exit status, no stack trace, nothing half-written. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { type CliResult, makeTempDir, runCli } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

function assertOneLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.equal(result.stderr.includes('    at '), false, 'no stack trace');
}

describe('taskmill download with bad input', { concurrency: true }, () => {
  let server: GalleryServer;
  let empty: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let closedPort: number;
  before(async () => {
    server = await startGalleryServer({ images: 5, imageSize: 100, clientId: 'right-id' });
    empty = await startGalleryServer({ images: 0 });
    temp = await makeTempDir('bad-input');
    const closed = await startGalleryServer();
    closedPort = Number(new URL(closed.url).port);
    await closed.close();
  });
  after(async () => {
    await server.close();
    await empty.close();
    await temp.remove();
  });

  it('refuses an unknown flag with status 2', async () => {
    const result = await runCli(['download', '--no-such-flag', `${server.url}/i/1.jpg`]);
    assert.equal(result.code, 2);
    assertOneLine(result, /unknown option '--no-such-flag'/);
  });

  it('refuses an invalid URL with status 2 and writes nothing', async () => {
    const out = join(temp.path, 'invalid');
    const result = await runCli(['download', `${server.url}/i/1.jpg`, 'htp:/nope', '--out', out]);
    assert.equal(result.code, 2);
    assertOneLine(result, /"htp:\/nope" is not/);
    assert.equal(existsSync(out), false);
  });

  it('reports an unreachable host as a failed item with status 1', async () => {
    const out = join(temp.path, 'unreachable');
    const report = join(temp.path, 'unreachable.json');
    const url = `http://127.0.0.1:${closedPort}/i/1.jpg`;
    const result = await runCli([
      'download',
      url,
      '--out',
      out,
      '--retries',
      '1',
      '--backoff',
      '1',
      '--report',
      report,
    ]);
    assert.equal(result.code, 1);
    assertOneLine(result, /failed: .*connection refused/);
    const items = (JSON.parse(await readFile(report, 'utf8')) as { items: ItemResult[] }).items;
    assert.equal(items[0]?.outcome, 'failed');
    assert.equal(items[0]?.code, 'ERR_CONNECTION');
    assert.equal(existsSync(join(out, '1.jpg.part')), false);
    assert.equal(existsSync(join(out, '1.jpg')), false);
  });

  it('refuses an output folder that cannot be written with status 2', async () => {
    const blocker = join(temp.path, 'a-file');
    await writeFile(blocker, 'not a folder');
    const result = await runCli(['download', `${server.url}/i/1.jpg`, '--out', join(blocker, 'images')]);
    assert.equal(result.code, 2);
    assertOneLine(result, /cannot write to the output folder .*ENOTDIR/);
    assert.equal(await readFile(blocker, 'utf8'), 'not a folder');
  });

  it('stops on an empty gallery with status 1 before creating anything', async () => {
    const out = join(temp.path, 'empty');
    const result = await runCli(['download', '--imgur', '--api-url', empty.apiUrl, '--out', out], {
      IMGUR_CLIENT_ID: 'any',
    });
    assert.equal(result.code, 1);
    assertOneLine(result, /no \.jpg images/);
    assert.equal(existsSync(out), false);
  });

  it('stops on a 401 from the gallery API with status 1, naming the fix', async () => {
    const out = join(temp.path, 'refused');
    const result = await runCli(['download', '--imgur', '--api-url', server.apiUrl, '--out', out], {
      IMGUR_CLIENT_ID: 'wrong-id',
    });
    assert.equal(result.code, 1);
    assertOneLine(result, /refused the client id \(HTTP 401\).*IMGUR_CLIENT_ID/);
    assert.equal(existsSync(out), false);
  });

  it('needs IMGUR_CLIENT_ID for --imgur (status 2)', async () => {
    const result = await runCli(['download', '--imgur', '--api-url', server.apiUrl], { IMGUR_CLIENT_ID: '' });
    assert.equal(result.code, 2);
    assertOneLine(result, /IMGUR_CLIENT_ID/);
  });

  it('downloads the gallery with the right client id (status 0)', async () => {
    const out = join(temp.path, 'gallery');
    const result = await runCli(['download', '--imgur', '--api-url', server.apiUrl, '--out', out, '-q'], {
      IMGUR_CLIENT_ID: 'right-id',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /5 downloaded, 0 skipped, 0 failed of 5/);
  });
});
