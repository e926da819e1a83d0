/** TLS (`rediss://`) with a password, on a harness Redis that serves TLS only. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import { RedisConnectionError } from './errors.js';
import type * as DistTasks from './fixtures/dist-tasks.js';
import { startRedisServer } from './testing/redis-server.js';
import { startWorker } from './worker.js';

const TASKS = new URL('./fixtures/dist-tasks.js', import.meta.url);
const t = tasks<typeof DistTasks>(TASKS);

it('callers and workers talk to Redis over TLS (rediss://, the server CA, a password)', async () => {
  await using server = await startRedisServer({ tls: true, password: 'tls-pass' });
  assert.match(server.url, /^rediss:\/\//);
  const connection = { url: server.url, tls: { ca: server.ca, servername: 'localhost' } };
  const worker = await startWorker({ tasks: [TASKS], queue: 'tls', connection });
  try {
    await using pool = new Pool({ backend: 'redis', connection, queue: 'tls' });
    assert.deepEqual(await pool.map(t.square, [1, 2, 3]), [1, 4, 9]);
    // Without the CA the certificate is not trusted: a clear error at start.
    await using untrusting = new Pool({
      backend: 'redis',
      connection: server.url,
      queue: 'tls',
      connectTimeout: 5000,
    });
    const error = await untrusting.apply(t.square, 2).catch((e: unknown) => e as Error);
    assert.ok(error instanceof RedisConnectionError, String(error));
    assert.match(error.message, /TLS with Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 failed/);
    assert.ok(!error.message.includes('tls-pass'));
  } finally {
    await worker.close();
  }
});
