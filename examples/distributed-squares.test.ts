/**
 * The distributed-squares example end to end: a password-protected Redis from the harness,
 * `taskmill worker` as a child process, and the example's master as another.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { startRedisServer } from '../dist/distributed/testing/redis-server.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const MASTER = new URL('./distributed-squares.js', import.meta.url).pathname;
const TASKS = new URL('./tasks/squares.js', import.meta.url).pathname;

it('distributed squares: a worker process computes what the master puts on the queue, with a password', async () => {
  await using server = await startRedisServer({ password: 'authkey-abc' });
  const env = { ...process.env, TASKMILL_REDIS_URL: server.url };
  const worker = spawn(process.execPath, [CLI, 'worker', '--tasks', TASKS, '--queue', 'squares'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  worker.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  try {
    const { stdout } = await run(process.execPath, [MASTER, '10'], { env });
    const put = [...stdout.matchAll(/^Put task (\d+)$/gm)].map((m) => Number(m[1]));
    const results = [...stdout.matchAll(/^Result: (\d+) \* (\d+) = (\d+)$/gm)];
    assert.equal(put.length, 10);
    assert.equal(results.length, 10);
    for (const [, a, b, r] of results) {
      assert.equal(a, b);
      assert.equal(Number(r), Number(a) ** 2);
    }
    assert.deepEqual(results.map((m) => Number(m[1])).sort(), [...put].sort());
    assert.match(stdout, /Master exit\./);
    assert.ok(
      !stdout.includes('authkey-abc') && !log.includes('authkey-abc'),
      'the password is never printed',
    );
    // Without the password, the master fails at start with one clear line.
    const denied = await run(process.execPath, [MASTER, '1'], {
      env: { ...process.env, TASKMILL_REDIS_URL: server.plainUrl },
    }).catch((e: { code: number; stderr: string }) => e);
    assert.notEqual((denied as { code: number }).code, 0);
    assert.match((denied as { stderr: string }).stderr, /requires a password/);
  } finally {
    worker.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
