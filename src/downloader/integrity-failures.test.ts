/**
 * What the downloader does when a server sends the wrong bytes: a digest that does not match,
 * a body shorter or longer than announced, a 206 or 416 that does not answer the Range asked
 * for, and redirects (followed, bounded, never to another scheme, credentials kept to the
 * origin they were meant for). A complete-looking file is always the right file.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { download } from './download.js';
import type { DownloadOptions } from './options.js';
import { makeTempDir } from './testing/cli-runner.js';
import { rangeStart, type ScriptedServer, startScriptedServer } from './testing/scripted-server.js';
import type { ItemResult } from './types.js';

const SIZE = 40_000;
const BODY = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 31 + 7) % 251));
const MD5 = createHash('md5').update(BODY).digest('base64');
const WRONG_MD5 = createHash('md5').update('something else').digest('base64');

/** A well-behaved answer: 200 (or 206 for a Range), with the right digest. */
function serveBody(res: ServerResponse, from = 0, digest = MD5): void {
  const headers: Record<string, string | number> = {
    'content-length': SIZE - from,
    'accept-ranges': 'bytes',
    digest: `md5=${digest}`,
  };
  if (from > 0) headers['content-range'] = `bytes ${from}-${SIZE - 1}/${SIZE}`;
  res.writeHead(from > 0 ? 206 : 200, headers).end(BODY.subarray(from));
}

async function fetchOne(url: string, out: string, options: DownloadOptions = {}): Promise<ItemResult> {
  const results: ItemResult[] = [];
  for await (const event of download([url], { out, backoff: 1, retries: 2, ...options })) {
    if (event.type === 'item') results.push(event.result);
  }
  assert.equal(results.length, 1, 'one result for one URL');
  return results[0] as ItemResult;
}

describe('integrity failures from a misbehaving server', { timeout: 60_000 }, () => {
  let server: ScriptedServer;
  let other: ScriptedServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let folders = 0;
  const folder = async (parts: Record<string, Buffer> = {}) => {
    const out = join(temp.path, `out-${folders++}`);
    await mkdir(out);
    for (const [name, bytes] of Object.entries(parts)) await writeFile(join(out, name), bytes);
    return out;
  };
  before(async () => {
    server = await startScriptedServer();
    other = await startScriptedServer();
    temp = await makeTempDir('integrity-failures');
  });
  after(async () => {
    await server.close();
    await other.close();
    await temp.remove();
  });

  it('fails a file whose MD5 never matches, after every retry, and keeps no byte of it', async () => {
    server.route('/bad-md5.jpg', (_req, res) => serveBody(res, 0, WRONG_MD5));
    const out = await folder();
    const result = await fetchOne(`${server.url}/bad-md5.jpg`, out);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.code, 'ERR_CHECKSUM');
    assert.equal(result.attempts, 3);
    assert.equal(server.requestsOf('/bad-md5.jpg').length, 3);
    assert.deepEqual(await readdir(out), [], 'neither the file nor its .part is left');
    assert.equal(result.partFile, undefined);
  });

  it('fetches again when the MD5 fails once, and verifies the second body', async () => {
    server.route('/md5-once.jpg', (_req, res, attempt) => serveBody(res, 0, attempt === 1 ? WRONG_MD5 : MD5));
    const out = await folder();
    const result = await fetchOne(`${server.url}/md5-once.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2);
    assert.equal(result.verified, true);
    assert.deepEqual(await readFile(join(out, 'md5-once.jpg')), BODY);
  });

  it('catches a foreign .part whose overlap byte matches but whose bytes do not (the MD5 path)', async () => {
    server.route('/foreign.jpg', (req, res) => serveBody(res, rangeStart(req) ?? 0));
    // Same length and same last byte as the real first half, every other byte wrong.
    const foreign = Buffer.alloc(20_000, 0x41);
    foreign[19_999] = BODY[19_999] as number;
    const out = await folder({ 'foreign.jpg.part': foreign });
    const result = await fetchOne(`${server.url}/foreign.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2, 'the resumed attempt failed the digest; the next one started over');
    const requests = server.requestsOf('/foreign.jpg');
    assert.equal(requests[0]?.headers.range, 'bytes=19999-');
    assert.equal(requests[1]?.headers.range, undefined, 'the second attempt fetched the whole file');
    assert.deepEqual(await readFile(join(out, 'foreign.jpg')), BODY);
  });

  it('keeps the bytes of a body cut short and resumes them with Range', async () => {
    server.route('/short-once.jpg', (req, res, attempt) => {
      if (attempt > 1) return serveBody(res, rangeStart(req) ?? 0);
      res.writeHead(200, { 'content-length': SIZE, 'accept-ranges': 'bytes', digest: `md5=${MD5}` });
      res.write(BODY.subarray(0, 15_000), () => res.destroy());
    });
    const out = await folder();
    const result = await fetchOne(`${server.url}/short-once.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2);
    assert.equal(server.requestsOf('/short-once.jpg')[1]?.headers.range, 'bytes=14999-');
    assert.equal(result.resumedFrom, 15_000);
    assert.equal(result.verified, true);
    assert.deepEqual(await readFile(join(out, 'short-once.jpg')), BODY);
  });

  it('names the .part it keeps when a resumable body is always cut short', async () => {
    server.route('/always-short.jpg', (req, res) => {
      const from = rangeStart(req) ?? 0;
      const headers: Record<string, string | number> = {
        'content-length': SIZE - from,
        'accept-ranges': 'bytes',
      };
      if (from > 0) headers['content-range'] = `bytes ${from}-${SIZE - 1}/${SIZE}`;
      res.writeHead(from > 0 ? 206 : 200, headers);
      res.write(BODY.subarray(from, from + 1000), () => res.destroy());
    });
    const out = await folder();
    const result = await fetchOne(`${server.url}/always-short.jpg`, out);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.partFile, 'always-short.jpg.part');
    assert.equal(result.partBytes, 1000 + 999 + 999, 'three attempts, each resumed with one overlap byte');
    assert.deepEqual(await readdir(out), ['always-short.jpg.part']);
    assert.deepEqual(await readFile(join(out, 'always-short.jpg.part')), BODY.subarray(0, 2998));
  });

  it('removes the .part of a failure that cannot be resumed (no Range support)', async () => {
    server.route('/short-no-ranges.jpg', (_req, res) => {
      res.writeHead(200, { 'content-length': SIZE });
      res.write(BODY.subarray(0, 1000), () => res.destroy());
    });
    const out = await folder();
    const result = await fetchOne(`${server.url}/short-no-ranges.jpg`, out);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.partFile, undefined);
    assert.deepEqual(await readdir(out), []);
  });

  it('refuses a body longer than the range announced, and starts over', async () => {
    server.route('/too-long.jpg', (req, res, attempt) => {
      const from = rangeStart(req);
      if (attempt > 1 || from === undefined) return serveBody(res, from ?? 0);
      // 206 for the right range, but chunked and with 500 bytes too many.
      res.writeHead(206, { 'content-range': `bytes ${from}-${SIZE - 1}/${SIZE}` });
      res.end(Buffer.concat([BODY.subarray(from), Buffer.alloc(500, 1)]));
    });
    const out = await folder({ 'too-long.jpg.part': BODY.subarray(0, 10_000) });
    const result = await fetchOne(`${server.url}/too-long.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2);
    assert.equal(server.requestsOf('/too-long.jpg')[1]?.headers.range, undefined);
    assert.deepEqual(await readFile(join(out, 'too-long.jpg')), BODY);
  });

  it('refuses a 206 for other bytes than those asked for, throws the part away and fetches it whole', async () => {
    server.route('/wrong-range.jpg', (req, res) => {
      const from = rangeStart(req);
      if (from === undefined) return serveBody(res);
      res.writeHead(206, {
        'content-length': SIZE,
        'content-range': `bytes 0-${SIZE - 1}/${SIZE}`,
        digest: `md5=${MD5}`,
      });
      res.end(BODY);
    });
    const out = await folder({ 'wrong-range.jpg.part': BODY.subarray(0, 5000) });
    const result = await fetchOne(`${server.url}/wrong-range.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2);
    assert.equal(result.resumedFrom, undefined);
    assert.deepEqual(await readFile(join(out, 'wrong-range.jpg')), BODY);
  });

  it('refuses a 206 to a request that asked for no range', async () => {
    server.route('/unasked-206.jpg', (_req, res) => {
      res.writeHead(206, { 'content-length': SIZE, 'content-range': `bytes 0-${SIZE - 1}/${SIZE}` });
      res.end(BODY);
    });
    const out = await folder();
    const result = await fetchOne(`${server.url}/unasked-206.jpg`, out);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.code, 'ERR_BAD_RANGE');
    assert.deepEqual(await readdir(out), []);
  });

  it('restarts from the beginning when a resume is answered 416', async () => {
    server.route('/gone-416.jpg', (req, res) => {
      if (rangeStart(req) !== undefined) {
        res.writeHead(416, { 'content-range': `bytes */${SIZE}`, 'content-length': 0 }).end();
        return;
      }
      serveBody(res);
    });
    const out = await folder({ 'gone-416.jpg.part': BODY.subarray(0, 5000) });
    const result = await fetchOne(`${server.url}/gone-416.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.equal(result.attempts, 2);
    assert.deepEqual(await readFile(join(out, 'gone-416.jpg')), BODY);
  });

  it('follows redirects and saves under the name of the URL asked for', async () => {
    server.route('/moved.jpg', (_req, res) => res.writeHead(302, { location: '/elsewhere/real.jpg' }).end());
    server.route('/elsewhere/real.jpg', (_req, res) => serveBody(res));
    const out = await folder();
    const result = await fetchOne(`${server.url}/moved.jpg`, out);
    assert.equal(result.outcome, 'downloaded');
    assert.deepEqual(await readdir(out), ['moved.jpg']);
    assert.deepEqual(await readFile(join(out, 'moved.jpg')), BODY);
  });

  it('gives up on a redirect loop at once (no retries), after a bounded number of hops', async () => {
    server.route('/loop.jpg', (_req, res) => res.writeHead(301, { location: '/loop.jpg' }).end());
    const out = await folder();
    const result = await fetchOne(`${server.url}/loop.jpg`, out);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.code, 'ERR_REDIRECTS');
    assert.equal(server.requestsOf('/loop.jpg').length, 6, 'the first request and five redirects');
    assert.equal(result.attempts, 1);
  });

  it('refuses a redirect to another scheme', async () => {
    server.route('/to-file.jpg', (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end());
    const out = await folder();
    const result = await fetchOne(`${server.url}/to-file.jpg`, out);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.code, 'ERR_REDIRECTS');
    assert.match(result.reason ?? '', /file:/);
    assert.deepEqual(await readdir(out), []);
  });

  it('does not send cookies or credentials to the origin of a cross-origin redirect', async () => {
    server.route('/cross.jpg', (_req, res) =>
      res.writeHead(302, { location: `${other.url}/landing.jpg` }).end(),
    );
    other.route('/landing.jpg', (_req, res) => serveBody(res));
    const out = await folder();
    const result = await fetchOne(`${server.url}/cross.jpg`, out, {
      headers: { cookie: 'session=secret', authorization: 'Bearer secret', 'x-note': 'kept' },
    });
    assert.equal(result.outcome, 'downloaded');
    const first = server.requestsOf('/cross.jpg')[0];
    assert.equal(first?.headers.cookie, 'session=secret', 'the origin asked for gets them');
    const landed = other.requestsOf('/landing.jpg')[0];
    assert.equal(landed?.headers.cookie, undefined);
    assert.equal(landed?.headers.authorization, undefined);
    assert.equal(landed?.headers['x-note'], 'kept');
    assert.equal(existsSync(join(out, 'cross.jpg')), true);
  });
});
