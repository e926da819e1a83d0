/**
 * Reliability of the redis backend when workers die or stop, on a real redis-server started by
 * the harness, with workers as separate OS processes: kill -9, long tasks past the lock,
 * handing jobs back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import type * as DistTasks from './fixtures/dist-tasks.js';
import { startRedisServer } from './testing/redis-server.js';
import { waitForLines, withWorkers } from './testing/worker-process.js';
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

describe('redis backend reliability: workers that die or stop', () => {
  it('kill -9 of a worker mid-run: every job still completes, re-run by another worker within 10 s', async () => {
    await using server = await startRedisServer();
    const queue = 'kill9';
    await withWorkers(TASKS, 2, { queue, connection: server.url, concurrency: 50 }, async ([a, b]) => {
      assert.ok(a && b);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const items = Array.from({ length: 200 }, (_, i) => i);
      const results = pool.starmap(
        t.markAndSleep,
        items.map((n) => [file, n, 200] as [string, number, number]),
      );
      // Wait until the first worker holds jobs, then kill it without warning.
      await waitForLines(file, 1, (line) => line.endsWith(` ${a.taskPid}`));
      // The whole host at once: the worker and the process running its tasks.
      a.killHost();
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
        lines.filter((l) => l.endsWith(` ${a.taskPid}`)).map((l) => Number(l.split(' ')[0])),
      );
      const unfinishedOnA = values.filter((v) => startedOnA.has(v.n) && v.pid === b.taskPid);
      assert.ok(unfinishedOnA.length > 0, 'the killed worker held jobs that were run again');
      assert.ok(values.every((v) => v.pid === b.taskPid || v.pid === a.taskPid));
      assert.ok(rerunWithin < 10_000, `jobs of the killed worker took ${rerunWithin} ms to finish elsewhere`);
    });
  });
  it('a task longer than the lock is not declared stalled while its worker lives (lock renewal)', async () => {
    await using server = await startRedisServer();
    const queue = 'long';
    const lock = { lockDuration: 1000, stalledInterval: 300 };
    await withWorkers(TASKS, 2, { queue, connection: server.url, ...lock }, async () => {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = newFile();
      const result = await pool.apply(t.markAndSleep, file, 1, 2500);
      const lines = await waitForLines(file, 1);
      assert.equal(lines.length, 1, `the task started ${lines.length} times: ${lines.join('; ')}`);
      assert.equal(result.n, 1);
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
});
