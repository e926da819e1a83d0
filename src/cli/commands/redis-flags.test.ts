/**
 * One name for Redis on every command: `--redis` on download, crawl, worker, queue, dashboard
 * and demo, with `--connection` kept as an alias; two different servers named at once are
 * refused. Through the real CLI against a real redis-server and a real worker; also what
 * `--backend auto` and a queue with no worker print.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../../distributed/testing/redis-server.js';
import { CLI, makeTempDir, runCli } from '../../downloader/testing/cli-runner.js';
import { type GalleryServer, startGalleryServer } from '../../gallery-server/server.js';

const TASKS = fileURLToPath(new URL('../../downloader/download-task.js', import.meta.url));

/** Starts `taskmill worker ...args`; resolves once it logs that it takes jobs. */
async function startCliWorker(args: string[]): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [CLI, 'worker', '--tasks', TASKS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      log += text;
      if (/taskmill worker .* on redis:\/\//.test(log)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${log}`)));
  });
  return { child, log: () => log };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

describe('--redis on every command, --connection as its alias', { timeout: 90_000 }, () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    redis = await startRedisServer();
    server = await startGalleryServer({ imageSize: 3000 });
    temp = await makeTempDir('redis-flags');
  });
  after(async () => {
    await server?.close();
    await redis?.stop();
    await temp?.remove();
  });

  for (const [workerFlag, downloadFlag] of [
    ['--redis', '--redis'],
    ['--connection', '--connection'],
  ] as const) {
    it(`worker ${workerFlag} and download ${downloadFlag} reach the same Redis`, async () => {
      const queue = `q${workerFlag.slice(2)}`;
      // The environment names another Redis: only the flag can bring them together.
      const env = { TASKMILL_REDIS_URL: 'redis://127.0.0.1:1' };
      const worker = await startCliWorker(['--queue', queue, workerFlag, redis.plainUrl]);
      try {
        const result = await runCli(
          [
            'download',
            `${server.url}/i/1.jpg`,
            `${server.url}/i/2.jpg`,
            '--backend',
            'redis',
            '--queue',
            queue,
            downloadFlag,
            redis.plainUrl,
            '--out',
            join(temp.path, queue),
            '-q',
          ],
          env,
        );
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /2 downloaded/);
        const stats = await runCli(['queue', '--queue', queue, workerFlag, redis.plainUrl, '--json'], env);
        assert.equal(stats.code, 0, stats.stderr);
        assert.equal((JSON.parse(stats.stdout) as { counts: { completed: number } }).counts.completed, 2);
      } finally {
        await stop(worker.child);
      }
    });
  }

  it('lists --redis in help (the alias is not), and refuses two different servers', async () => {
    for (const command of ['download', 'crawl', 'worker', 'queue', 'dashboard', 'demo']) {
      const help = await runCli([command, '--help']);
      assert.match(help.stdout, /--redis <url>/, `${command} --help`);
      assert.doesNotMatch(help.stdout, /^\s+--connection <url>/m, `${command} --help`);
    }
    const both = await runCli(['queue', '--redis', redis.plainUrl, '--connection', 'redis://127.0.0.1:1']);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /--redis and --connection .* name different servers/);
  });

  it('says why --backend auto chose async', async () => {
    const result = await runCli([
      'download',
      `${server.url}/i/3.jpg`,
      '--backend',
      'auto',
      '--out',
      join(temp.path, 'auto'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /--backend auto picked async: downloads wait on the network, not the CPU/);
  });

  it('warns that no worker consumes the queue, then fails after --wait-for-worker', async () => {
    const began = performance.now();
    const result = await runCli([
      'download',
      `${server.url}/i/4.jpg`,
      '--backend',
      'redis',
      '--redis',
      redis.plainUrl,
      '--queue',
      'unstaffed',
      '--wait-for-worker',
      '4',
      '--out',
      join(temp.path, 'unstaffed'),
      '-q',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /warning: no worker is consuming queue unstaffed on redis:\/\/127\.0\.0\.1:\d+\/0: start `taskmill worker --tasks \S+ --queue unstaffed --redis redis:\/\/127\.0\.0\.1:\d+\/0`/,
    );
    assert.match(result.stderr, /no worker consumed queue unstaffed .* for 4 s/);
    assert.ok(performance.now() - began < 20_000);
  });
});
