/**
 * Metrics, read the way Prometheus reads them: the text from `pool.metrics()`, from
 * `taskmill worker --metrics-port` and from the dashboard's /metrics is parsed by a real
 * Prometheus text parser, and every counter equals what the test ran.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { tasks } from '../core/task.js';
import { pollUntil } from '../core/testing/poll.js';
import { startDashboard } from '../dashboard/server.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { Pool } from '../pool/pool.js';
import type * as MetricTasks from './fixtures/metric-tasks.js';
import { optionalPeer, requirePeer } from './optional-peer.js';
import { registerPoolMetrics } from './prom-client-bridge.js';

const MODULE = new URL('./fixtures/metric-tasks.js', import.meta.url);
const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const t = tasks<typeof MetricTasks>(MODULE);

interface Family {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[];

/** The value of the sample of `name` whose labels include `labels` (undefined: no such sample). */
function sample(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const found = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (found === undefined) return undefined;
  return Number(found.value ?? found.count);
}

describe('pool.metrics()', { timeout: 60_000 }, () => {
  it('counts submitted, started, completed and failed calls per task, with histograms', async () => {
    const pool = new Pool({ backend: 'threads', workers: 2, metrics: { name: 'counted' } });
    try {
      for (let i = 0; i < 10; i++) await pool.submit(t.square, i).get();
      assert.equal(
        (
          await pool.map(
            t.square,
            Array.from({ length: 200 }, (_, i) => i),
          )
        ).length,
        200,
      );
      const failures = await Promise.allSettled([1, 2, 3].map((n) => pool.apply(t.refuse, n)));
      assert.ok(failures.every((f) => f.status === 'rejected'));
      const text = pool.metrics({ format: 'prometheus' });
      const families = parsePrometheus(text);
      const square = { pool: 'counted', backend: 'threads', task: 'metric-tasks#square' };
      const refuse = { ...square, task: 'metric-tasks#refuse' };
      assert.equal(sample(families, 'taskmill_tasks_submitted_total', square), 210);
      assert.equal(sample(families, 'taskmill_tasks_started_total', square), 210);
      assert.equal(sample(families, 'taskmill_tasks_completed_total', square), 210);
      assert.equal(sample(families, 'taskmill_tasks_failed_total', square), 0);
      assert.equal(sample(families, 'taskmill_tasks_submitted_total', refuse), 3);
      assert.equal(sample(families, 'taskmill_tasks_failed_total', refuse), 3);
      // The parser keeps no labels of histograms: their series are read from the text itself.
      const histogram = families.find((f) => f.name === 'taskmill_task_duration_seconds');
      assert.equal(histogram?.type, 'HISTOGRAM');
      const series = (name: string, task: string) =>
        new RegExp(
          `^${name}\\{pool="counted",backend="threads",task="metric-tasks#${task}"(,le="([^"]+)")?\\} (\\S+)$`,
          'gm',
        );
      const durations = [...text.matchAll(series('taskmill_task_duration_seconds_bucket', 'square'))];
      assert.equal(durations.at(-1)?.[2], '+Inf');
      assert.equal(durations.at(-1)?.[3], '210');
      const counts = durations.map((m) => Number(m[3]));
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        'buckets are cumulative',
      );
      assert.equal(
        [...text.matchAll(series('taskmill_task_duration_seconds_count', 'square'))][0]?.[3],
        '210',
      );
      assert.equal(
        [...text.matchAll(series('taskmill_task_queue_wait_seconds_count', 'refuse'))][0]?.[3],
        '3',
      );
      assert.equal(sample(families, 'taskmill_pool_workers', { pool: 'counted' }), 2);
      assert.equal(sample(families, 'taskmill_pool_queued', { pool: 'counted' }), 0);
      const snapshot = pool.metrics();
      const bySquare = snapshot.tasks.find((x) => x.task === 'metric-tasks#square');
      assert.ok(bySquare?.latencyMs !== undefined && bySquare.latencyMs.p50 >= 0);
      assert.equal(snapshot.backend, 'threads');
    } finally {
      await pool.terminate();
    }
  });

  it('counts worker crashes and timeouts', async () => {
    const pool = new Pool({ backend: 'processes', workers: 1, metrics: true });
    try {
      await assert.rejects(pool.apply(t.crash), { name: 'WorkerCrashedError' });
      await assert.rejects(pool.apply(t.sleep.with({ timeout: 50 }), 5000), { name: 'TaskTimeoutError' });
      const families = parsePrometheus(pool.metrics({ format: 'prometheus' }));
      assert.equal(sample(families, 'taskmill_worker_crashes_total', { task: 'metric-tasks#crash' }), 1);
      assert.equal(sample(families, 'taskmill_task_timeouts_total', { task: 'metric-tasks#sleep' }), 1);
      assert.equal(sample(families, 'taskmill_tasks_completed_total', { task: 'metric-tasks#sleep' }), 0);
      assert.equal(sample(families, 'taskmill_tasks_failed_total', { task: 'metric-tasks#sleep' }), 1);
      assert.equal(sample(families, 'taskmill_tasks_failed_total', { task: 'metric-tasks#crash' }), 1);
    } finally {
      await pool.terminate();
    }
  });

  it('reports queued calls as queue depth', async () => {
    const pool = new Pool({ backend: 'async', concurrency: 1, metrics: true });
    try {
      const slow = pool.submit(t.sleep, 100);
      const waiting = [pool.submit(t.square, 1), pool.submit(t.square, 2)];
      const during = pool.metrics();
      assert.equal(during.queued, 2);
      assert.equal(during.running, 1);
      assert.equal(during.workers, 1);
      await Promise.all([slow.get(), ...waiting.map((j) => j.get())]);
      assert.equal(pool.metrics().queued, 0);
    } finally {
      await pool.terminate();
    }
  });

  it("joins an application's prom-client registry (prom-client is an optional peer)", async () => {
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const pool = new Pool({ backend: 'async', metrics: { name: 'in-app' } });
    try {
      registerPoolMetrics(registry, [pool]);
      await pool.map(t.square, [1, 2, 3, 4, 5]);
      await assert.rejects(pool.apply(t.refuse, 9));
      const text = await registry.metrics();
      const families = parsePrometheus(text);
      const square = { pool: 'in-app', backend: 'async', task: 'metric-tasks#square' };
      assert.equal(sample(families, 'taskmill_tasks_completed_total', square), 5);
      assert.equal(
        sample(families, 'taskmill_tasks_failed_total', { ...square, task: 'metric-tasks#refuse' }),
        1,
      );
      assert.match(
        text,
        /^taskmill_task_duration_seconds_count\{pool="in-app",backend="async",task="metric-tasks#square"\} 5$/m,
      );
      assert.match(text, /^taskmill_task_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} 5$/m);
      assert.throws(() => registerPoolMetrics({} as never, [pool]), /prom-client Registry/);
    } finally {
      await pool.terminate();
    }
  });

  it('refuses unknown option keys and says how to switch metrics on', () => {
    const plain = new Pool({ backend: 'sequential' });
    assert.throws(() => plain.metrics(), /metrics: true/);
    assert.throws(() => plain.metrics({ fromat: 'prometheus' } as never), /did you mean "format"/);
    assert.throws(
      () => new Pool({ backend: 'sequential', metrics: { nmae: 'x' } as never }),
      /did you mean "name"/,
    );
    assert.throws(
      () => plain.expose({ dashbord: 'http://127.0.0.1:1' } as never),
      /did you mean "dashboard"/,
    );
    assert.throws(() => plain.expose({ dashboard: 'ftp://x' }), /http/);
    void plain.terminate();
  });

  it('optional peers: a missing one is undefined, and asking for it names the install command', () => {
    assert.equal(optionalPeer('taskmill-no-such-package'), undefined);
    assert.throws(
      () => requirePeer('taskmill-no-such-package', 'this feature'),
      /npm install taskmill-no-such-package/,
    );
  });
});

describe('metrics of Redis queues and workers', { timeout: 90_000 }, () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('taskmill worker --metrics-port and the dashboard /metrics count what ran', async () => {
    const worker = spawn(
      process.execPath,
      [
        CLI,
        'worker',
        '--tasks',
        MODULE.pathname,
        '--queue',
        'counted',
        '--metrics-port',
        '0',
        '--heartbeat-interval',
        '200',
      ],
      { env: { ...process.env, TASKMILL_REDIS_URL: server.url }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      const metricsUrl = await new Promise<string>((resolve, reject) => {
        let log = '';
        worker.stderr?.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          const found = /metrics at (http:\/\/\S+)/.exec(log);
          if (found) resolve(found[1] as string);
        });
        void exited.then(() => reject(new Error(`worker exited: ${log}`)));
      });
      const pool = new Pool({ backend: 'redis', connection: server.url, queue: 'counted', metrics: true });
      const dashboard = await startDashboard({ connection: server.url, port: 0, queues: ['counted'] });
      const local = new Pool({ backend: 'async', metrics: { name: 'reporter' } });
      const exposure = local.expose({ dashboard: dashboard.url, token: dashboard.token, interval: 100 });
      try {
        assert.equal(
          (
            await pool.map(
              t.square,
              Array.from({ length: 25 }, (_, i) => i),
            )
          ).length,
          25,
        );
        const failed = await Promise.allSettled([pool.apply(t.refuse, 1), pool.apply(t.refuse, 2)]);
        assert.ok(failed.every((f) => f.status === 'rejected'));
        await local.map(t.square, [1, 2, 3, 4]);

        const fromWorker = parsePrometheus(await (await fetch(metricsUrl)).text());
        assert.equal(
          sample(fromWorker, 'taskmill_jobs_completed_total', { task: 'metric-tasks#square' }),
          25,
        );
        assert.equal(sample(fromWorker, 'taskmill_jobs_failed_total', { task: 'metric-tasks#refuse' }), 2);
        assert.equal(
          sample(fromWorker, 'taskmill_tasks_completed_total', { task: 'metric-tasks#square' }),
          25,
        );
        assert.equal(sample(fromWorker, 'taskmill_job_stalls_total', { queue: 'counted' }), 0);

        const caller = parsePrometheus(pool.metrics({ format: 'prometheus' }));
        assert.equal(
          sample(caller, 'taskmill_tasks_completed_total', { backend: 'redis', task: 'metric-tasks#square' }),
          25,
        );
        assert.equal(
          sample(caller, 'taskmill_tasks_failed_total', { backend: 'redis', task: 'metric-tasks#refuse' }),
          2,
        );

        // The reporting pool reaches the dashboard by HTTP, with the token.
        const reported = () =>
          pollUntil(
            async () => {
              const families = parsePrometheus(await (await fetch(`${dashboard.url}metrics`)).text());
              return sample(families, 'taskmill_tasks_completed_total', { pool: 'reporter' }) === 4
                ? families
                : undefined;
            },
            { what: "the dashboard's /metrics counting the reporter's 4 tasks", everyMs: 50 },
          );
        const board = await reported();
        assert.equal(sample(board, 'taskmill_queue_jobs', { queue: 'counted', state: 'completed' }), 25);
        assert.equal(sample(board, 'taskmill_queue_jobs', { queue: 'counted', state: 'failed' }), 2);
        assert.equal(sample(board, 'taskmill_queue_jobs', { queue: 'counted', state: 'waiting' }), 0);
        assert.equal(sample(board, 'taskmill_queue_workers', { queue: 'counted' }), 1);
        assert.equal(sample(board, 'taskmill_pool_workers', { pool: 'reporter', backend: 'async' }), 64);
        const refused = await fetch(`${dashboard.url}api/pools`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metrics: local.metrics() }),
        });
        assert.equal(refused.status, 403);
      } finally {
        await exposure.stop();
        await local.terminate();
        await dashboard.close();
        await pool.terminate();
      }
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  });
});
