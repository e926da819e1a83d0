/**
 * Reliability of the redis backend on a real redis-server started by the harness, with workers
 * as separate OS processes: Redis restarts with and without persistence, graceful stop on
 * SIGTERM, scale-out over three workers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobLostError } from '../core/errors.js';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import type * as DistTasks from './fixtures/dist-tasks.js';
import { openQueueAdmin } from './queue-admin.js';
import { startRedisServer } from './testing/redis-server.js';
import { untilLogged, waitForLines, withWorkers } from './testing/worker-process.js';
import { startWorker } from './worker.js';

const TASKS = new URL('./fixtures/dist-tasks.js', import.meta.url);
const t = tasks<typeof DistTasks>(TASKS);
let dir: string;
let fileSeq = 0;
const newFile = () => join(dir, `marks-${++fileSeq}.txt`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskmill-reliability-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('redis backend reliability: Redis restarts, SIGTERM, scale-out', () => {
  it('Redis restarted with AOF: callers and workers reconnect and nothing is lost', async () => {
    await using server = await startRedisServer({ aof: true });
    const queue = 'aof';
    await withWorkers(TASKS, 1, { queue, connection: server.url, concurrency: 10 }, async () => {
      await using pool = new Pool({
        backend: 'redis',
        connection: server.url,
        queue,
        lostJobCheckInterval: 300,
      });
      const file = newFile();
      const items = Array.from({ length: 100 }, (_, i) => i);
      const results = pool.starmap(
        t.markAndSleep,
        items.map((n) => [file, n, 30] as [string, number, number]),
      );
      await waitForLines(file, 10);
      await server.restart();
      const values = await results;
      assert.deepEqual(
        values.map((v) => v.n),
        items,
      );
      // The pool keeps working after the restart.
      assert.equal(await pool.apply(t.square, 12), 144);
    });
  });
  it('Redis restarted empty: callers get JobLostError naming the lost jobs instead of hanging', async () => {
    await using server = await startRedisServer();
    const queue = 'empty-restart';
    // No worker: the jobs wait on the queue, then Redis forgets them.
    const pool = new Pool({ backend: 'redis', connection: server.url, queue, lostJobCheckInterval: 300 });
    try {
      const jobs = [1, 2, 3].map((n) => pool.submit(t.square, n));
      const enqueued = await pool.enqueue(t.square, [4]);
      await server.restart({ empty: true });
      for (const job of [...jobs]) {
        const error = await job.get().then(
          () => assert.fail('a lost job must not succeed'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof JobLostError, String(error));
        assert.equal(error.jobIds.length, 1);
      }
      const error = await enqueued.get().catch((e: unknown) => e);
      assert.ok(error instanceof JobLostError);
      assert.deepEqual(error.jobIds, [enqueued.id]);
      assert.match(error.message, new RegExp(enqueued.id));
    } finally {
      await pool.terminate();
    }
  });
  it('SIGTERM: the worker stops taking jobs, finishes those in flight and exits 0', async () => {
    await using server = await startRedisServer();
    const queue = 'sigterm';
    await withWorkers(TASKS, 1, { queue, connection: server.url, concurrency: 5 }, async ([w]) => {
      assert.ok(w);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const jobs = [1, 2, 3, 4, 5].map((n) => pool.submit(t.markAndSleep, file, n, 400));
      await waitForLines(file, 5);
      w.child.kill('SIGTERM');
      await untilLogged(w, /received SIGTERM/);
      // Submitted while the worker finishes its jobs: it must not take this one.
      const later = pool.submit(t.whoRuns, 3);
      assert.equal(await w.exited, 0);
      const values = await Promise.all(jobs.map((j) => j.get()));
      assert.deepEqual(
        values.map((v) => v.pid),
        [w.taskPid, w.taskPid, w.taskPid, w.taskPid, w.taskPid],
      );
      assert.equal(later.ready(), false);
      const admin = await openQueueAdmin({ queue, connection: server.url });
      try {
        assert.equal((await admin.counts()).waiting, 1);
      } finally {
        await admin.close();
      }
      const next = await startWorker({ tasks: [TASKS], queue, connection: server.url });
      try {
        assert.deepEqual(await later.get(), { n: 3, pid: next.pid });
      } finally {
        await next.close();
      }
    });
  });
  it('scale-out: three worker processes share the jobs', async () => {
    await using server = await startRedisServer();
    const queue = 'scale';
    await withWorkers(TASKS, 3, { queue, connection: server.url, concurrency: 4 }, async (workers) => {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const values = await pool.starmap(
        t.markAndSleep,
        Array.from({ length: 60 }, (_, n) => [file, n, 50] as [string, number, number]),
      );
      const pids = new Set(values.map((v) => v.pid));
      assert.deepEqual([...pids].sort(), workers.map((w) => w.taskPid).sort());
      const text = await readFile(file, 'utf8');
      assert.equal(text.trim().split('\n').length, 60);
    });
  });
});
