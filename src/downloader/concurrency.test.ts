/**
 * `--concurrency` is what is in flight, on every backend: the server counts the requests it is
 * answering at once. It holds each answer until `concurrency` requests are waiting (a barrier),
 * then answers them all, so a client that keeps fewer in flight stalls at the barrier (released
 * by a fallback after a quiet spell, so the test fails on its assertion rather than its timeout)
 * and one that sends more is seen above the mark.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { download } from './download.js';
import { inFlightWindow } from './download-engine.js';
import { type DownloadOptions, defaultWorkers } from './options.js';
import { makeTempDir } from './testing/cli-runner.js';
import { type ScriptedServer, startScriptedServer } from './testing/scripted-server.js';

const BODY = Buffer.alloc(4000, 3);
/** Quiet spell after which held answers go out even though the barrier was not reached. */
const FALLBACK_MS = 4000;

describe('--concurrency is the number of requests in flight', { timeout: 120_000 }, () => {
  let server: ScriptedServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let run = 0;
  before(async () => {
    server = await startScriptedServer();
    temp = await makeTempDir('concurrency');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  /** Downloads `files` files through a barrier of `barrier` held answers; the most seen at once. */
  async function inFlightDuring(files: number, barrier: number, options: DownloadOptions): Promise<number> {
    const prefix = `/run${run++}/`;
    let held: ServerResponse[] = [];
    let answering = 0;
    let most = 0;
    let fallback: NodeJS.Timeout | undefined;
    const release = () => {
      clearTimeout(fallback);
      const now = held;
      held = [];
      for (const res of now) res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
    };
    const urls: string[] = [];
    for (let i = 0; i < files; i++) {
      const path = `${prefix}${i}.jpg`;
      urls.push(`${server.url}${path}`);
      server.route(path, (_req, res) => {
        answering++;
        most = Math.max(most, answering);
        res.once('close', () => answering--);
        held.push(res);
        clearTimeout(fallback);
        if (held.length >= barrier) release();
        else fallback = setTimeout(release, FALLBACK_MS);
      });
    }
    let downloaded = 0;
    for await (const event of download(urls, { ...options, out: join(temp.path, prefix) })) {
      if (event.type === 'item' && event.result.outcome === 'downloaded') downloaded++;
    }
    clearTimeout(fallback);
    assert.equal(downloaded, files);
    return most;
  }

  const cases: [string, DownloadOptions][] = [
    ['async, -c 64', { backend: 'async', concurrency: 64 }],
    ['threads, 4 workers, -c 64', { backend: 'threads', workers: 4, concurrency: 64 }],
    ['threads, default workers, -c 64', { backend: 'threads', concurrency: 64 }],
    ['processes, 4 workers, -c 64', { backend: 'processes', workers: 4, concurrency: 64 }],
    ['threads, default workers (5), -c 10', { backend: 'threads', concurrency: 10 }],
  ];
  for (const [name, options] of cases) {
    it(`keeps exactly -c requests in flight: ${name}`, async () => {
      const c = options.concurrency as number;
      const most = await inFlightDuring(c * 2, c, options);
      assert.equal(most, c, `the server saw at most ${most} requests at once, asked ${c}`);
    });
  }

  it('never sends more than -c, whatever the barrier', async () => {
    // A barrier above -c is never reached: the fallback answers each round.
    const most = await inFlightDuring(12, 7, { backend: 'processes', workers: 2, concurrency: 6 });
    assert.equal(most, 6);
  });

  it('refuses workers that do not divide the concurrency, naming settings that do', async () => {
    await assert.rejects(
      () => download([`${server.url}/x.jpg`], { backend: 'threads', workers: 4, concurrency: 10 }).next(),
      /concurrency 10 is not a multiple of workers 4: .* use concurrency 8 or 12, or workers 2 or 5/,
    );
    assert.equal(defaultWorkers(64), 8);
    assert.equal(defaultWorkers(10), 5);
    assert.equal(defaultWorkers(11), 1);
    assert.equal(inFlightWindow({ backend: 'threads', concurrency: 64 }), 128);
  });
});
