/**
 * Tasks that take their worker process down, and jobs a worker cannot read, on a real
 * redis-server: a poison job fails with WorkerCrashedError after a bounded number of tries while
 * the worker goes on serving; the caller's timeout holds even when no worker is left to report;
 * malformed jobs fail at once; unknown option keys are refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TaskTimeoutError, WorkerCrashedError } from '../core/errors.js';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import { MalformedJobError } from './errors.js';
import type * as DistTasks from './fixtures/dist-tasks.js';
import { openQueueAdmin } from './queue-admin.js';
import { type RedisServer, startRedisServer } from './testing/redis-server.js';
import { withWorkers } from './testing/worker-process.js';
import { startWorker } from './worker.js';

const TASKS = new URL('./fixtures/dist-tasks.js', import.meta.url);
const t = tasks<typeof DistTasks>(TASKS);
let server: RedisServer;
let dir: string;
let seq = 0;
const newFile = () => join(dir, `starts-${++seq}.txt`);
const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

before(async () => {
  server = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'taskmill-crash-'));
});
after(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a task that kills its worker process', () => {
  it('fails with WorkerCrashedError after maxCrashes tries; the worker lives on and other jobs complete', async () => {
    const queue = 'poison';
    const logged: string[] = [];
    const worker = await startWorker({
      tasks: [TASKS],
      queue,
      connection: server.url,
      concurrency: 5,
      maxCrashes: 2,
      log: (line) => logged.push(line),
    });
    try {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const firstPid = worker.pid;
      const poison = pool.apply(t.exitProcess, file);
      const good = Array.from({ length: 20 }, (_, n) => pool.apply(t.sleep, 20, n));
      const error = await poison.then(
        () => assert.fail('a task that exits its process cannot succeed'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkerCrashedError, String(error));
      assert.equal(error.code, 'ERR_TASKMILL_WORKER_CRASHED');
      assert.equal(error.exitCode, 1);
      assert.deepEqual(error.tasks, ['dist-tasks#exitProcess']);
      assert.match(
        String((error.cause as Error).message),
        /took its worker process down 2 time\(s\) while running alone/,
      );
      assert.deepEqual(
        (await Promise.all(good)).sort((a, b) => (a as number) - (b as number)),
        Array.from({ length: 20 }, (_, n) => n),
      );
      // Bounded: a first crash among the others (or alone), then two alone.
      const starts = await lines(file);
      assert.ok(starts.length >= 2 && starts.length <= 3, `the poison job started ${starts.length} times`);
      // Each start was in a new worker process, and the worker still serves.
      assert.equal(new Set(starts).size, starts.length);
      assert.notEqual(worker.pid, firstPid);
      assert.equal(await pool.apply(t.square, 12), 144);
      assert.ok(
        logged.some((line) => /worker process \d+ died \(exit code 1\)/.test(line)),
        logged.join('\n'),
      );
      const admin = await openQueueAdmin({ queue, connection: server.url });
      try {
        const failed = await admin.failed();
        assert.equal(failed.length, 1);
        assert.match(failed[0]?.summary ?? '', /^WorkerCrashedError \[ERR_TASKMILL_WORKER_CRASHED\]/);
      } finally {
        await admin.close();
      }
    } finally {
      await worker.close();
    }
  });

  it('a task that blocks the event loop is killed by the supervisor and counted as a crash', async () => {
    const queue = 'spin';
    const worker = await startWorker({
      tasks: [TASKS],
      queue,
      connection: server.url,
      maxCrashes: 1,
      lockDuration: 1000,
    });
    try {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const error = await pool.apply(t.spinForever, file).catch((e: unknown) => e);
      assert.ok(error instanceof WorkerCrashedError, String(error));
      assert.equal(error.signal, 'SIGKILL');
      assert.match(String((error.cause as Error).message), /stopped responding/);
      assert.equal((await lines(file)).length, 1);
      assert.equal(await pool.apply(t.square, 5), 25);
    } finally {
      await worker.close();
    }
  });

  it("the caller's timeout holds when the worker dies with the job: TaskTimeoutError, and the job never runs again", async () => {
    const queue = 'deadline';
    const file = newFile();
    const started = Date.now();
    let error: unknown;
    // A worker with no supervisor: the task takes it down, and nobody reports back.
    await withWorkers(TASKS, 1, { queue, connection: server.url, isolation: 'none' }, async ([w]) => {
      assert.ok(w);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      error = await pool.apply(t.exitProcess.with({ timeout: 1000 }), file).catch((e: unknown) => e);
      assert.equal(await w.exited, 1);
    });
    const took = Date.now() - started;
    assert.ok(error instanceof TaskTimeoutError, String(error));
    assert.equal(error.timeout, 1000);
    assert.ok(took < 10_000, `the caller waited ${took} ms`);
    // The job was cancelled: a worker that takes it later (once its lock expired) fails it unrun.
    const later = await startWorker({ tasks: [TASKS], queue, connection: server.url, stalledInterval: 500 });
    const admin = await openQueueAdmin({ queue, connection: server.url });
    try {
      for (const until = Date.now() + 30_000; (await admin.counts()).failed < 1; ) {
        assert.ok(Date.now() < until, 'the cancelled job never ended');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [failed] = await admin.failed();
      assert.equal(failed?.error.className ?? failed?.error.name, 'TaskAbortedError');
      assert.equal((await lines(file)).length, 1);
    } finally {
      await admin.close();
      await later.close();
    }
  });
});

describe('jobs a worker cannot run fail at once with MalformedJobError', () => {
  it('data that is not JSON, no args, args that are not a list', async () => {
    const queue = 'malformed';
    const raw = new Queue(queue, { connection: { host: '127.0.0.1', port: server.port } });
    const redis = new Redis({ port: server.port });
    try {
      // Put on the queue while no worker listens, then spoiled by hand, as another client might.
      const notJson = await raw.add('dist-tasks#square', { task: 'dist-tasks#square', args: [2] });
      await redis.hset(`bull:${queue}:${notJson.id}`, 'data', '{"task": "dist-tasks#square", args: [2');
      const noArgs = await raw.add('dist-tasks#square', { task: 'dist-tasks#square' });
      const notList = await raw.add('dist-tasks#square', { task: 'dist-tasks#square', args: { n: 2 } });
      const fine = await raw.add('dist-tasks#square', { task: 'dist-tasks#square', args: [3] });
      const worker = await startWorker({ tasks: [TASKS], queue, connection: server.url });
      try {
        await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
        const outcome = async (id: string | undefined) =>
          pool
            .job(String(id))
            .get()
            .catch((e: unknown) => e);
        const bad = await outcome(notJson.id);
        assert.ok(bad instanceof MalformedJobError, String(bad));
        assert.equal(bad.code, 'ERR_TASKMILL_MALFORMED_JOB');
        assert.match(bad.message, /its data is not valid JSON/);
        const missing = await outcome(noArgs.id);
        assert.ok(missing instanceof MalformedJobError, String(missing));
        assert.match(missing.message, /has no args/);
        const object = await outcome(notList.id);
        assert.ok(object instanceof MalformedJobError, String(object));
        assert.match(object.message, /args must be an argument list/);
        assert.equal(await outcome(fine.id), 9);
        // Each was taken once and failed for good: none is waiting, active or stalled again.
        const admin = await openQueueAdmin({ queue, connection: server.url });
        try {
          assert.deepEqual(await admin.counts(), {
            waiting: 0,
            active: 0,
            completed: 1,
            failed: 3,
            delayed: 0,
          });
          for (const f of await admin.failed()) assert.equal(f.attemptsMade, 1);
        } finally {
          await admin.close();
        }
      } finally {
        await worker.close();
      }
    } finally {
      redis.disconnect();
      await raw.close();
    }
  });
});

describe('unknown option keys are refused, naming the closest one', () => {
  it('worker, enqueue, queue admin and keep options', async () => {
    await assert.rejects(
      startWorker({ tasks: [TASKS], queue: 'x', concurency: 5 } as never),
      /worker options has no option "concurency": did you mean "concurrency"\?/,
    );
    await assert.rejects(
      startWorker({ tasks: [TASKS], queue: 'x', limiter: { max: 1, duraton: 5 } } as never),
      /limiter has no option "duraton": did you mean "duration"\?/,
    );
    await assert.rejects(
      openQueueAdmin({ queue: 'x', conection: server.url } as never),
      /queue admin options has no option "conection": did you mean "connection"\?/,
    );
    await using pool = new Pool({ backend: 'redis', connection: server.url, queue: 'keys' });
    await assert.rejects(
      pool.enqueue(t.square, [2], { attempt: 3 } as never),
      /enqueue options has no option "attempt": did you mean "attempts"\?/,
    );
    await assert.rejects(
      pool.enqueue(t.square, [2], { backoff: { type: 'fixed', dealy: 5 } } as never),
      /backoff has no option "dealy": did you mean "delay"\?/,
    );
    await using keeping = new Pool({
      backend: 'redis',
      connection: server.url,
      queue: 'keys',
      keepCompleted: { ages: 5 } as never,
    });
    await assert.rejects(
      keeping.apply(t.square, 2),
      /keepCompleted has no option "ages": did you mean "age"\?/,
    );
  });
});
