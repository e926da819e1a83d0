/**
 * The redis backend's own features on a real redis-server: data (not code) on the wire, the
 * worker's allow-list, payload limits, enqueue options (attempts, backoff, delay, priority,
 * jobId), following jobs from another pool, failed jobs in the queue admin, credentials.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { InvalidArgumentError, JobLostError, UnknownTaskError } from '../core/errors.js';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import { RedisConnectionError } from './errors.js';
import type * as DistTasks from './fixtures/dist-tasks.js';
import type * as SideEffect from './fixtures/side-effect.js';
import { openQueueAdmin } from './queue-admin.js';
import { type RedisServer, startRedisServer } from './testing/redis-server.js';
import { type RedisWorker, startWorker } from './worker.js';

const run = promisify(execFile);
const TASKS = new URL('./fixtures/dist-tasks.js', import.meta.url);
const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const t = tasks<typeof DistTasks>(TASKS);
const sideEffect = tasks<typeof SideEffect>(new URL('./fixtures/side-effect.js', import.meta.url));
let server: RedisServer;
let worker: RedisWorker;
let dir: string;
const queue = 'features';
const PASSWORD = 's3cret-Pa55';

before(async () => {
  server = await startRedisServer({ password: PASSWORD });
  dir = await mkdtemp(join(tmpdir(), 'taskmill-features-'));
  worker = await startWorker({
    tasks: [TASKS],
    queue,
    connection: server.url,
    concurrency: 20,
    maxPayloadBytes: 64 * 1024,
  });
});
after(async () => {
  await worker?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Waits until `check` holds (polling state that changes as Redis and workers act). */
async function untilTrue(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('the condition never held within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pool = (options: Record<string, unknown> = {}) =>
  new Pool({ backend: 'redis', connection: server.url, queue, ...options });

describe('redis backend: payloads are data', () => {
  it('binary, undefined, BigInt, Date, Map, Set and odd keys survive the round trip', async () => {
    await using p = pool();
    const value = {
      bytes: Buffer.from([0, 1, 2, 255]),
      view: new Uint8Array([9, 8, 7]),
      floats: new Float64Array([1.5, -2]),
      nothing: undefined,
      big: 2n ** 70n,
      when: new Date('2024-01-02T03:04:05.000Z'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set(['x'])],
      ]),
      $tm: 'a key that looks like a tag',
      list: [Number.NaN, Number.POSITIVE_INFINITY, null],
    };
    const back = (await p.apply(t.echo, value)) as typeof value;
    assert.ok(Buffer.isBuffer(back.bytes));
    assert.deepEqual([...back.bytes], [0, 1, 2, 255]);
    assert.ok(back.view instanceof Uint8Array);
    assert.deepEqual([...back.view], [9, 8, 7]);
    assert.deepEqual([...back.floats], [1.5, -2]);
    assert.ok('nothing' in back);
    assert.equal(back.nothing, undefined);
    assert.equal(back.big, 2n ** 70n);
    assert.equal(back.when.toISOString(), '2024-01-02T03:04:05.000Z');
    assert.deepEqual(back.map, value.map);
    assert.equal(back.$tm, 'a key that looks like a tag');
    assert.deepEqual(back.list, [Number.NaN, Number.POSITIVE_INFINITY, null]);
  });

  it('functions and class instances are refused before anything is sent', async () => {
    await using p = pool();
    await assert.rejects(p.apply(t.echo, (() => 1) as unknown), /cannot be sent|function/);
    class Point {
      x = 1;
    }
    await assert.rejects(p.apply(t.echo, new Point()), /Point/);
  });

  it('arguments over the size limit fail at enqueue with a clear error; the worker has its own limit', async () => {
    await using small = pool({ maxPayloadBytes: 1024 });
    await assert.rejects(small.apply(t.echo, Buffer.alloc(4096)), /bytes encoded, over the limit of 1024/);
    // The caller allows more than this worker (64 KiB): the worker refuses the job.
    await using large = pool();
    const error = await large.apply(t.echo, Buffer.alloc(100 * 1024)).catch((e: unknown) => e as Error);
    assert.equal((error as { code?: string }).code, 'ERR_TASKMILL_PAYLOAD_TOO_LARGE');
    // A result over the worker's limit fails the same way.
    await assert.rejects(large.apply(t.bigResult, 100 * 1024), /result of dist-tasks#bigResult/);
  });
});

describe('redis backend: the worker runs only what it was started with', () => {
  it('a task from another module fails with "unknown task" and its module is never loaded', async () => {
    await using p = pool();
    const marker = join(dir, 'side-effect-loaded');
    process.env.TASKMILL_SIDE_EFFECT_MARKER = marker;
    const error = await p.apply(sideEffect.run).catch((e: unknown) => e as Error);
    assert.ok(error instanceof UnknownTaskError, String(error));
    assert.match(error.message, /unknown task "side-effect#run"/);
    await assert.rejects(stat(marker), { code: 'ENOENT' });
  });

  it('a hand-written job naming a path, a non-export or junk fails as unknown task', async () => {
    const raw = new Queue(queue, {
      connection: { host: '127.0.0.1', port: server.port, password: PASSWORD },
    });
    try {
      await using p = pool();
      const ids = ['../../etc/passwd#x', 'dist-tasks#constructor', 'dist-tasks#__proto__', 'nohash'];
      const jobs = await Promise.all(ids.map((task) => raw.add(task, { task, args: [] })));
      for (const job of jobs) {
        const error = await p
          .job(String(job.id))
          .get()
          .catch((e: unknown) => e as Error);
        assert.ok(error instanceof UnknownTaskError, String(error));
        assert.match(error.message, /unknown task/);
      }
    } finally {
      await raw.close();
    }
  });
});

describe('redis backend: enqueue options and jobs by id', () => {
  it('a task that always fails ends failed after its attempts, visible to the caller and in taskmill queue', async () => {
    await using p = pool();
    const file = join(dir, 'attempts.txt');
    const job = await p.enqueue(t.alwaysFails, [file], {
      attempts: 3,
      backoff: { type: 'fixed', delay: 10 },
    });
    const error = await job.get().catch((e: unknown) => e as Error & { code?: string });
    assert.equal(error.constructor.name, 'AlwaysFails');
    assert.equal(error.code, 'E_ALWAYS');
    assert.equal(error.message, 'this task always fails');
    assert.match(String(error.stack), /dist-tasks/);
    assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 3);

    const admin = await openQueueAdmin({ queue, connection: server.url });
    try {
      const failed = await admin.failed();
      const entry = failed.find((f) => f.id === job.id);
      assert.ok(entry);
      assert.equal(entry.attemptsMade, 3);
      assert.equal(entry.summary, 'AlwaysFails [E_ALWAYS]: this task always fails');
    } finally {
      await admin.close();
    }
    const env = { ...process.env, TASKMILL_REDIS_URL: server.url };
    const { stdout } = await run(process.execPath, [CLI, 'queue', '--queue', queue, '--failed'], { env });
    assert.match(stdout, /failed [1-9]/);
    assert.match(
      stdout,
      new RegExp(
        `failed ${job.id} dist-tasks#alwaysFails \\(3 attempts.*AlwaysFails \\[E_ALWAYS\\]: this task always fails`,
      ),
    );
    assert.ok(!stdout.includes(PASSWORD));
    const retried = await run(process.execPath, [CLI, 'queue', 'retry', job.id, '--queue', queue], { env });
    assert.match(retried.stdout, /waiting to run again/);
    // Retried, it runs (and fails) once more: a fourth attempt is written.
    await untilTrue(async () => (await readFile(file, 'utf8')).trim().split('\n').length === 4);
    await untilTrue(async () => {
      const admin2 = await openQueueAdmin({ queue, connection: server.url });
      try {
        return (await admin2.failed()).some((f) => f.id === job.id);
      } finally {
        await admin2.close();
      }
    });
    await assert.rejects(p.job(job.id).get(), (e: unknown) => (e as { code?: string }).code === 'E_ALWAYS');
    const removed = await run(process.execPath, [CLI, 'queue', 'remove', job.id, '--queue', queue], { env });
    assert.match(removed.stdout, /removed/);
  });

  it('a job with a given id is not enqueued twice; pool.job(id) follows it from another pool', async () => {
    const file = join(dir, 'once.txt');
    await using p = pool();
    const first = await p.enqueue(t.markAndSleep, [file, 1, 50], { jobId: 'report-2024-01' });
    const second = await p.enqueue(t.markAndSleep, [file, 1, 50], { jobId: 'report-2024-01' });
    assert.equal(first.id, 'report-2024-01');
    assert.equal(second.id, 'report-2024-01');
    await using other = pool();
    const followed = other.job<{ n: number }>('report-2024-01');
    assert.equal((await followed.get()).n, 1);
    assert.equal((await first.get()).n, 1);
    assert.equal((await second.get()).n, 1);
    // Looked up after it finished, from yet another pool: the result is still there.
    await using late = pool();
    assert.equal((await late.job<{ n: number }>('report-2024-01').get()).n, 1);
    assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 1);
    // An id nobody enqueued is reported at once instead of waited on forever.
    await assert.rejects(
      late.job('no-such-job').get(),
      (e: unknown) => e instanceof JobLostError && e.jobIds.length === 1 && e.jobIds[0] === 'no-such-job',
    );
  });

  it('delay and priority: a delayed job does not start before its delay; higher priority runs first', async () => {
    const q = 'priorities';
    await using p = pool({ queue: q });
    const file = join(dir, 'order.txt');
    const delayed = await p.enqueue(t.square, [5], { delay: 1500 });
    const low = await p.enqueue(t.markAndSleep, [file, 3, 1], { priority: 3 });
    const high = await p.enqueue(t.markAndSleep, [file, 1, 1], { priority: 1 });
    const middle = await p.enqueue(t.markAndSleep, [file, 2, 1], { priority: 2 });
    // Only now does a worker (one at a time) start on this queue.
    const serial = await startWorker({ tasks: [TASKS], queue: q, connection: server.url, concurrency: 1 });
    try {
      await Promise.all([low.get(), high.get(), middle.get()]);
      assert.equal(await delayed.get(), 25);
      const order = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[0]));
      assert.deepEqual(order, [1, 2, 3]);
      const raw = new Queue(q, { connection: { host: '127.0.0.1', port: server.port, password: PASSWORD } });
      try {
        const record = await raw.getJob(delayed.id);
        assert.ok(record?.processedOn !== undefined);
        const waited = (record.processedOn as number) - record.timestamp;
        assert.ok(waited >= 1500, `the delayed job started ${waited} ms after it was enqueued`);
      } finally {
        await raw.close();
      }
    } finally {
      await serial.close();
    }
  });

  it('cancelling removes waiting jobs from Redis and stops a running one on its worker', async () => {
    const q = 'cancel';
    await using p = pool({ queue: q });
    const admin = await openQueueAdmin({ queue: q, connection: server.url });
    const file = join(dir, 'cancel.txt');
    try {
      // No worker yet: these wait on the queue until the signal fires.
      const controller = new AbortController();
      const waiting = [1, 2, 3].map((n) => p.apply(t.square.with({ signal: controller.signal }), n));
      await untilTrue(async () => (await admin.counts()).waiting === 3);
      controller.abort(new Error('not needed'));
      for (const call of waiting) await assert.rejects(call, /cancelled/);
      await untilTrue(async () => (await admin.counts()).waiting === 0);
      // Running: the worker fires the task's signal and the job ends as cancelled.
      const local = await startWorker({ tasks: [TASKS], queue: q, connection: server.url });
      try {
        const running = p.submit(t.markAndSleep, file, 1, 60_000);
        await untilTrue(async () => (await readFile(file, 'utf8').catch(() => '')) !== '');
        running.cancel('changed my mind');
        await assert.rejects(running.get(), /cancelled/);
        await untilTrue(async () => (await admin.failed()).some((f) => f.error.name === 'TaskAbortedError'));
      } finally {
        await local.close();
      }
    } finally {
      await admin.close();
    }
  });

  it('a worker rate limit holds jobs back: one job per minute runs one job', async () => {
    const q = 'rate-limited';
    const limited = await startWorker({
      tasks: [TASKS],
      queue: q,
      connection: server.url,
      limiter: { max: 1, duration: 60_000 },
    });
    try {
      await using p = pool({ queue: q });
      const first = await p.enqueue(t.square, [2]);
      assert.equal(await first.get(), 4);
      const second = await p.enqueue(t.square, [3]);
      const admin = await openQueueAdmin({ queue: q, connection: server.url });
      try {
        const counts = await admin.counts();
        assert.equal(counts.completed, 1);
        assert.equal(counts.waiting + counts.delayed, 1, JSON.stringify(counts));
      } finally {
        await admin.close();
      }
      assert.equal(second.ready(), false);
    } finally {
      await limited.close();
    }
  });

  it('results are kept for the count asked: older finished jobs are dropped from Redis', async () => {
    await using p = pool({ keepCompleted: { count: 1 } });
    const first = await p.enqueue(t.square, [5]);
    assert.equal(await first.get(), 25);
    const second = await p.enqueue(t.square, [6]);
    assert.equal(await second.get(), 36);
    await using other = pool();
    assert.equal(await other.job(second.id).get(), 36);
    await assert.rejects(other.job(first.id).get(), /lost/);
  });

  it('by default finished jobs expire: completed kept 1 h / 10,000, failed 7 days / 10,000', async () => {
    await using p = pool();
    const job = await p.enqueue(t.square, [7]);
    assert.equal(await job.get(), 49);
    const raw = new Queue(queue, {
      connection: { host: '127.0.0.1', port: server.port, password: PASSWORD },
    });
    try {
      const stored = await raw.getJob(job.id);
      assert.deepEqual(stored?.opts.removeOnComplete, { age: 3600, count: 10_000 });
      assert.deepEqual(stored?.opts.removeOnFail, { age: 7 * 24 * 3600, count: 10_000 });
    } finally {
      await raw.close();
    }
  });

  it('bad enqueue options and non-redis pools get clear errors', async () => {
    await using p = pool();
    await assert.rejects(p.enqueue(t.square, [1], { attempts: 0 }), /attempts must be/);
    await assert.rejects(p.enqueue(t.square, [1], { backoff: 'sometimes' as 'fixed' }), /backoff must be/);
    await assert.rejects(p.enqueue(t.square, [1], { jobId: '123' }), /jobId/);
    await using local = new Pool({ backend: 'async' });
    await assert.rejects(
      local.enqueue(t.square, [1]),
      (e: unknown) => e instanceof InvalidArgumentError && /needs backend 'redis'/.test(e.message),
    );
    assert.throws(() => local.job('x'), /needs backend 'redis'/);
  });
});

describe('redis backend: where a worker runs its tasks', () => {
  for (const backend of ['threads', 'processes'] as const) {
    it(`--backend ${backend}: tasks run on a local ${backend} pool inside the worker`, async () => {
      const q = `local-${backend}`;
      const local = await startWorker({
        tasks: [TASKS],
        queue: q,
        connection: server.url,
        backend,
        workers: 2,
      });
      try {
        await using p = pool({ queue: q });
        const places = await Promise.all([1, 2, 3, 4].map(() => p.apply(t.whereRuns)));
        for (const place of places) {
          if (backend === 'threads') {
            assert.equal(place.pid, local.pid);
            assert.notEqual(place.threadId, 0);
          } else assert.ok(place.pid !== local.pid && place.pid !== process.pid);
        }
        assert.deepEqual(await p.map(t.square, [1, 2, 3]), [1, 4, 9]);
      } finally {
        await local.close();
      }
    });
  }
});

describe('redis backend: credentials', () => {
  it('a wrong password fails at start with one clear line that holds no password', async () => {
    const wrong = server.url.replace(PASSWORD, 'not-the-password');
    await using p = new Pool({ backend: 'redis', connection: wrong, queue });
    const error = await p.apply(t.square, 2).catch((e: unknown) => e as Error);
    assert.ok(error instanceof RedisConnectionError, String(error));
    assert.match(error.message, /refused the credentials/);
    assert.ok(!error.message.includes('not-the-password'));
    await assert.rejects(
      startWorker({ tasks: [TASKS], queue, connection: wrong }),
      (e: unknown) => e instanceof RedisConnectionError && !e.message.includes('not-the-password'),
    );
    const missing = server.plainUrl;
    await assert.rejects(startWorker({ tasks: [TASKS], queue, connection: missing }), /requires a password/);
    const cli = await run(process.execPath, [CLI, 'worker', '--tasks', TASKS.pathname, '--queue', queue], {
      env: { ...process.env, TASKMILL_REDIS_URL: wrong },
    }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((cli as { code: number }).code, 1);
    const lines = (cli as { stderr: string }).stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^taskmill: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the credentials/,
    );
  });

  it('an ACL user with its own password works from the URL', async () => {
    const admin = await openQueueAdmin({ queue, connection: server.url });
    await admin.close();
    const { Redis } = await import('ioredis');
    const root = new Redis({ port: server.port, password: PASSWORD });
    try {
      await root.call('ACL', 'SETUSER', 'app', 'on', '>app-pass', '~*', '&*', '+@all');
      await using p = new Pool({
        backend: 'redis',
        connection: `redis://app:app-pass@127.0.0.1:${server.port}`,
        queue,
      });
      assert.equal(await p.apply(t.square, 11), 121);
    } finally {
      root.disconnect();
    }
  });
});
