/**
 * Idempotency keys (`task.with({ jobId })`): on a real redis-server with worker processes, and
 * on the local backends. The chaos test kills a worker with SIGKILL and drops every Redis
 * connection (CLIENT KILL) mid-run while a retrying caller submits each job again, then counts
 * executions (at least once per key) and completions (exactly once per key).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { tasks } from '../core/task.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { waitForLines, withWorkers } from '../distributed/testing/worker-process.js';
import { Pool } from '../pool/pool.js';
import type * as ScheduleTasks from './fixtures/schedule-tasks.js';

const TASKS = new URL('./fixtures/schedule-tasks.js', import.meta.url);
const t = tasks<typeof ScheduleTasks>(TASKS);
let server: RedisServer;
let dir: string;
let fileSeq = 0;
const newFile = () => join(dir, `charges-${++fileSeq}.log`);

before(async () => {
  server = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'taskmill-jobids-'));
});
after(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Executions per key, from the lines `charge` wrote. */
async function executions(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const key = line.split(' ')[0] as string;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('jobId on Redis', { timeout: 120_000 }, () => {
  it('a second submit or apply with the same jobId, from another pool, attaches to the first job (running or finished)', async () => {
    const queue = 'jobid-basic';
    const file = newFile();
    await withWorkers(TASKS, 1, { queue, connection: server.url }, async () => {
      const a = new Pool({ backend: 'redis', connection: server.url, queue });
      const b = new Pool({ backend: 'redis', connection: server.url, queue });
      try {
        const first = a.submit(t.charge.with({ jobId: 'order-1' }), file, 'order-1', 300);
        assert.equal(first.id, 'order-1');
        await waitForLines(file, 1);
        // The caller retries (say, its first request timed out) while the job runs.
        const again = b.apply(t.charge.with({ jobId: 'order-1' }), file, 'order-1', 300);
        const same = a.submit(t.charge.with({ jobId: 'order-1' }), file, 'order-1', 300);
        assert.deepEqual(await Promise.all([first.get(), again, same.get()]), [
          'charged order-1',
          'charged order-1',
          'charged order-1',
        ]);
        // And once more after it finished: the stored result, no new run.
        assert.equal(
          await b.apply(t.charge.with({ jobId: 'order-1' }), file, 'order-1', 300),
          'charged order-1',
        );
        // Another key is another job.
        assert.equal(
          await b.apply(t.charge.with({ jobId: 'order-2' }), file, 'order-2', 10),
          'charged order-2',
        );
        // enqueue() takes the key from .with() too.
        const enqueued = await a.enqueue(t.charge.with({ jobId: 'order-2' }), [file, 'order-2', 10]);
        assert.equal(enqueued.id, 'order-2');
        assert.equal(await enqueued.get(), 'charged order-2');
        assert.deepEqual(
          [...(await executions(file))],
          [
            ['order-1', 1],
            ['order-2', 1],
          ],
        );
      } finally {
        for (const p of [a, b]) {
          p.close();
          await p.join();
        }
      }
    });
  });

  it('SIGKILL of a worker and CLIENT KILL of every connection mid-run: each job runs at least once and completes exactly once', async () => {
    const queue = 'jobid-chaos';
    const file = newFile();
    const keys = Array.from({ length: 60 }, (_, i) => `pay-${i}`);
    await withWorkers(
      TASKS,
      3,
      { queue, connection: server.url, concurrency: 4, lockDuration: 2000, stalledInterval: 1000 },
      async ([victim]) => {
        assert.ok(victim);
        const caller = new Pool({ backend: 'redis', connection: server.url, queue });
        const retrier = new Pool({ backend: 'redis', connection: server.url, queue });
        const admin = new Redis(server.url);
        try {
          const firstTries = keys.map((key) => caller.apply(t.charge.with({ jobId: key }), file, key, 250));
          await waitForLines(file, 12);
          victim.killHost();
          assert.equal(await victim.exited, 'SIGKILL');
          // Every other client of the server loses its connection at once (workers and callers).
          const killed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
          assert.ok(killed >= 4, `CLIENT KILL dropped ${killed} connection(s)`);
          // The caller retries every job (as after a timeout of its own), some before, some after they finished.
          const retries = keys.map((key) => retrier.apply(t.charge.with({ jobId: key }), file, key, 250));
          const [values, retried] = await Promise.all([Promise.all(firstTries), Promise.all(retries)]);
          const expected = keys.map((key) => `charged ${key}`);
          assert.deepEqual(values, expected);
          assert.deepEqual(retried, expected);
          const counts = await executions(file);
          for (const key of keys) assert.ok((counts.get(key) ?? 0) >= 1, `${key} never ran`);
          assert.deepEqual([...counts.keys()].sort(), [...keys].sort(), 'a key ran that nobody asked for');
          // Completions: one `completed` event per job in the queue's event stream, one finished record per key.
          const events = await admin.xrange(`bull:${queue}:events`, '-', '+');
          const completed = new Map<string, number>();
          for (const [, fields] of events) {
            const at = fields.indexOf('event');
            if (fields[at + 1] !== 'completed') continue;
            const id = fields[fields.indexOf('jobId') + 1] as string;
            completed.set(id, (completed.get(id) ?? 0) + 1);
          }
          assert.deepEqual(
            keys.filter((key) => completed.get(key) !== 1),
            [],
            'a job completed other than exactly once',
          );
          const reruns = [...counts.values()].filter((n) => n > 1).length;
          process.stdout.write(
            `${keys.length} jobs, ${[...counts.values()].reduce((a, b) => a + b, 0)} executions (${reruns} run again after the kills), ${completed.size} completions\n`,
          );
        } finally {
          admin.disconnect();
          for (const p of [caller, retrier]) {
            p.close();
            await p.join();
          }
        }
      },
    );
  });
});

describe('jobId on the local backends', { timeout: 60_000 }, () => {
  for (const backend of ['async', 'threads'] as const) {
    it(`${backend}: a second call with the same jobId attaches to the first; map() refuses a jobId`, async () => {
      await using pool = new Pool({ backend, workers: 1 });
      const file = newFile();
      const first = pool.submit(t.charge.with({ jobId: 'k1' }), file, 'k1', 50);
      const second = pool.submit(t.charge.with({ jobId: 'k1' }), file, 'k1', 50);
      assert.equal(second, first);
      assert.equal(first.id, 'k1');
      assert.equal(await pool.apply(t.charge.with({ jobId: 'k1' }), file, 'k1', 50), 'charged k1');
      assert.equal(await pool.apply(t.charge.with({ jobId: 'k2' }), file, 'k2', 1), 'charged k2');
      assert.equal(await pool.apply(t.charge, file, 'plain', 1), 'charged plain');
      assert.equal(await pool.apply(t.charge, file, 'plain', 1), 'charged plain');
      assert.deepEqual(
        [...(await executions(file))],
        [
          ['k1', 1],
          ['k2', 1],
          ['plain', 2],
        ],
      );
      await assert.rejects(pool.map(t.record.with({ jobId: 'k3' }) as never, [1]), {
        message: /map\(\) runs many calls, and jobId "k3" names one/,
      });
    });
  }

  it('refuses a jobId that is not a valid job id', () => {
    assert.throws(() => t.charge.with({ jobId: '42' }), { message: /not only digits/ });
    assert.throws(() => t.charge.with({ jobId: 'has space' }), { code: 'ERR_TASKMILL_INVALID_ARGUMENT' });
    assert.throws(() => t.charge.with({ jobid: 'x' } as never), { message: /did you mean "jobId"/ });
  });
});
