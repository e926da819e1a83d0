/**
 * Being polite to a server, end to end through `taskmill download`: a 429 or 503 with
 * Retry-After (seconds or an HTTP date) is retried no sooner than asked, capped by
 * --max-backoff; --rate spaces requests out, whatever the concurrency (and the waits share one abort listener). The server stamps each
 * request as it arrives; the assertions are lower bounds that a correct client always meets.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, runCli } from './testing/cli-runner.js';
import { type ScriptedServer, startScriptedServer } from './testing/scripted-server.js';

const BODY = Buffer.alloc(2000, 7);

describe('Retry-After and --rate, through the CLI', { timeout: 60_000 }, () => {
  let server: ScriptedServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startScriptedServer();
    temp = await makeTempDir('politeness');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  /** Answers `status` with Retry-After `retryAfter()` on the first request, the body afterwards. */
  const throttleOnce = (path: string, status: number, retryAfter: () => string) =>
    server.route(path, (_req, res, attempt) => {
      if (attempt === 1) res.writeHead(status, { 'retry-after': retryAfter(), 'content-length': 0 }).end();
      else res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
    });

  const gap = (path: string): number => {
    const [first, second] = server.requestsOf(path);
    assert.ok(first !== undefined && second !== undefined, `${path} was requested twice`);
    return second.at - first.at;
  };

  it('waits as long as Retry-After says on a 429 (seconds) and a 503 (HTTP date)', async () => {
    throttleOnce('/429.jpg', 429, () => '1');
    throttleOnce('/503.jpg', 503, () => new Date(Date.now() + 2000).toUTCString());
    const result = await runCli([
      'download',
      `${server.url}/429.jpg`,
      `${server.url}/503.jpg`,
      '--out',
      join(temp.path, 'retry-after'),
      '--backoff',
      '1',
      '-q',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /2 downloaded/);
    // The backoff alone would retry after a millisecond or two.
    assert.ok(gap('/429.jpg') >= 950, `429 retried after ${gap('/429.jpg').toFixed(0)} ms, asked 1000`);
    // An HTTP date has whole seconds: now + 2 s is between 1 and 2 s away.
    assert.ok(gap('/503.jpg') >= 900, `503 retried after ${gap('/503.jpg').toFixed(0)} ms, asked >= 1000`);
  });

  it('caps a long Retry-After at --max-backoff', async () => {
    throttleOnce('/hour.jpg', 429, () => '3600');
    const result = await runCli([
      'download',
      `${server.url}/hour.jpg`,
      '--out',
      join(temp.path, 'capped'),
      '--backoff',
      '1',
      '--max-backoff',
      '300',
      '-q',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(gap('/hour.jpg') >= 280, `retried after ${gap('/hour.jpg').toFixed(0)} ms, cap 300`);
  });

  it('keeps --rate whatever the concurrency', async () => {
    const count = 31;
    const paths = Array.from({ length: count }, (_, i) => `/rated/${i}.jpg`);
    for (const path of paths) {
      server.route(path, (_req, res) => res.writeHead(200, { 'content-length': BODY.length }).end(BODY));
    }
    const result = await runCli([
      'download',
      ...paths.map((path) => `${server.url}${path}`),
      '--out',
      join(temp.path, 'rated'),
      '--rate',
      '10',
      '--concurrency',
      '16',
      '-q',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /MaxListenersExceededWarning/, 'one abort listener for all the waits');
    const times = server.seen
      .filter((request) => request.path.startsWith('/rated/'))
      .map((r) => r.at)
      .sort((a, b) => a - b);
    assert.equal(times.length, count);
    // 10 per second with a burst of 1: the 31st request comes at least 3 s after the first
    // (less the first request's own trip, given a generous allowance).
    const span = (times.at(-1) as number) - (times[0] as number);
    assert.ok(span >= 2500, `${count} requests in ${span.toFixed(0)} ms at --rate 10`);
    for (let i = 0; i < times.length; i++) {
      const inOneSecond = times.filter((t) => t >= (times[i] as number) && t < (times[i] as number) + 1000);
      assert.ok(inOneSecond.length <= 12, `${inOneSecond.length} requests within one second`);
    }
  });
});
