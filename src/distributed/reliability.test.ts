/**
 * Reliability of the redis backend on a real redis-server started by the harness, with workers
 * as separate OS processes: kill -9, long tasks past the lock, Redis restarts with and without
 * persistence, graceful stop on SIGTERM, scale-out over three workers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobLostError } from '../core/errors.js';
import { Pool } from '../core/pool.js';
import { tasks } from '../core/task.js';
import type * as DistTasks from './fixtures/dist-tasks.js';
import { startRedisServer } from './testing/redis-server.js';
import { spawnWorkerProcess, type WorkerProcess, waitForLines } from './testing/worker-process.js';
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

async function withWorkers<T>(
  count: number,
  options: Record<string, unknown>,
  body: (workers: WorkerProcess[]) => Promise<T>,
): Promise<T> {
  const workers: WorkerProcess[] = [];
  try {
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => spawnWorkerProcess({ tasks: [TASKS.pathname], ...options })),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') workers.push(outcome.value);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    return await body(workers);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

describe('redis backend reliability', () => {
  it('kill -9 of a worker mid-run: every job still completes, re-run by another worker within 10 s', async () => {
    await using server = await startRedisServer();
    const queue = 'kill9';
    await withWorkers(2, { queue, connection: server.url, concurrency: 50 }, async ([a, b]) => {
      assert.ok(a && b);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const items = Array.from({ length: 200 }, (_, i) => i);
      const results = pool.starmap(
        t.markAndSleep,
        items.map((n) => [file, n, 200] as [string, number, number]),
      );
      // Wait until the first worker holds jobs, then kill it without warning.
      await waitForLines(file, 1, (line) => line.endsWith(` ${a.pid}`));
      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      assert.equal(await a.exited, 'SIGKILL');
      const values = await results;
      const rerunWithin = Date.now() - killedAt;
      assert.equal(values.length, 200);
      assert.deepEqual(
        values.map((v) => v.n),
        items,
      );
      // Jobs the killed worker had started were run again, by the survivor.
      const lines = await waitForLines(file, 1);
      const startedOnA = new Set(
        lines.filter((l) => l.endsWith(` ${a.pid}`)).map((l) => Number(l.split(' ')[0])),
      );
      const unfinishedOnA = values.filter((v) => startedOnA.has(v.n) && v.pid === b.pid);
      assert.ok(unfinishedOnA.length > 0, 'the killed worker held jobs that were run again');
      assert.ok(values.every((v) => v.pid === b.pid || v.pid === a.pid));
      assert.ok(rerunWithin < 10_000, `jobs of the killed worker took ${rerunWithin} ms to finish elsewhere`);
    });
  });

  it('a task longer than the lock is not declared stalled while its worker lives (lock renewal)', async () => {
    await using server = await startRedisServer();
    const queue = 'long';
    const lock = { lockDuration: 1000, stalledInterval: 300 };
    await withWorkers(2, { queue, connection: server.url, ...lock }, async () => {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const result = await pool.apply(t.markAndSleep, file, 1, 2500);
      const lines = await waitForLines(file, 1);
      assert.equal(lines.length, 1, `the task started ${lines.length} times: ${lines.join('; ')}`);
      assert.equal(result.n, 1);
    });
  });

  it('Redis restarted with AOF: callers and workers reconnect and nothing is lost', async () => {
    await using server = await startRedisServer({ aof: true });
    const queue = 'aof';
    await withWorkers(1, { queue, connection: server.url, concurrency: 10 }, async () => {
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
    await withWorkers(1, { queue, connection: server.url, concurrency: 5 }, async ([w]) => {
      assert.ok(w);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const jobs = [1, 2, 3, 4, 5].map((n) => pool.submit(t.markAndSleep, file, n, 400));
      await waitForLines(file, 5);
      w.child.kill('SIGTERM');
      assert.equal(await w.exited, 0);
      const values = await Promise.all(jobs.map((j) => j.get()));
      assert.deepEqual(
        values.map((v) => v.pid),
        [w.pid, w.pid, w.pid, w.pid, w.pid],
      );
      // A job submitted now waits for another worker: nobody took it.
      const later = pool.submit(t.square, 3);
      const next = await startWorker({ tasks: [TASKS], queue, connection: server.url });
      try {
        assert.equal(await later.get(), 9);
      } finally {
        await next.close();
      }
    });
  });

  it('a worker closing past its grace period hands its running jobs back; another worker runs them', async () => {
    await using server = await startRedisServer();
    const queue = 'hand-back';
    const first = await startWorker({ tasks: [TASKS], queue, connection: server.url, graceMs: 50 });
    await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
    const file = newFile();
    const job = pool.submit(t.markAndSleep, file, 7, 60_000);
    await waitForLines(file, 1);
    await first.close();
    // Handed back, not failed: the next worker starts it again.
    const second = await startWorker({ tasks: [TASKS], queue, connection: server.url });
    try {
      await waitForLines(file, 2);
      assert.equal(job.ready(), false);
      job.cancel('done with the test');
    } finally {
      await second.close();
    }
  });

  it('scale-out: three worker processes share the jobs', async () => {
    await using server = await startRedisServer();
    const queue = 'scale';
    await withWorkers(3, { queue, connection: server.url, concurrency: 4 }, async (workers) => {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const values = await pool.starmap(
        t.markAndSleep,
        Array.from({ length: 60 }, (_, n) => [file, n, 50] as [string, number, number]),
      );
      const pids = new Set(values.map((v) => v.pid));
      assert.deepEqual([...pids].sort(), workers.map((w) => w.pid).sort());
      const text = await readFile(file, 'utf8');
      assert.equal(text.trim().split('\n').length, 60);
    });
  });
});
