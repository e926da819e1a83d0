/**
 * The map family on the redis backend goes out in chunked jobs (many items per BullMQ job),
 * with per-item results and errors, on a real redis-server started by the harness and real
 * worker processes: results as a sequential run gives them, a failing item failing alone, and
 * a worker killed mid-map whose chunk runs again elsewhere with every result delivered once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import * as DistTasks from './fixtures/dist-tasks.js';
import { startRedisServer } from './testing/redis-server.js';
import { waitForLines, withWorkers } from './testing/worker-process.js';

const TASKS = new URL('./fixtures/dist-tasks.js', import.meta.url);
const t = tasks<typeof DistTasks>(TASKS);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskmill-chunked-map-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Jobs the queue finished (kept by default), i.e. how many jobs the map made. */
async function finishedJobs(url: string, queue: string): Promise<number> {
  const q = new Queue(queue, { connection: { url } as never });
  try {
    const counts = await q.getJobCounts('completed', 'failed');
    return (counts.completed ?? 0) + (counts.failed ?? 0);
  } finally {
    await q.close();
  }
}

describe('redis backend: chunked map', { timeout: 120_000 }, () => {
  it('10,000 items: map, starmap, imap, imapUnordered and mapSettled equal a sequential run, in far fewer jobs', async () => {
    await using server = await startRedisServer();
    const queue = 'chunked';
    await withWorkers(TASKS, 2, { queue, connection: server.url }, async () => {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const items = Array.from({ length: 10_000 }, (_, i) => i - 5000);
      const expected = items.map((n) => DistTasks.square(n));
      assert.deepEqual(await pool.map(t.square, items), expected);
      const jobs = await finishedJobs(server.url, queue);
      // Chunks are sized from the workers' measured busy time, so their number moves with the
      // machine's load (about 100 idle, 1,060 seen at load 10); one job per item would be 10,000.
      assert.ok(jobs <= 2500, `10,000 items took ${jobs} jobs: chunks average under 4 items`);
      assert.deepEqual(
        await pool.starmap(
          t.failOn,
          items.map((n) => [n, Number.NaN] as [number, number]),
        ),
        items.map((n) => n * 2),
      );
      const ordered: number[] = [];
      for await (const value of pool.imap(t.square, items)) ordered.push(value);
      assert.deepEqual(ordered, expected);
      const unordered: number[] = [];
      for await (const value of pool.imapUnordered(t.square, items)) unordered.push(value);
      assert.deepEqual(
        unordered.sort((a, b) => a - b),
        [...expected].sort((a, b) => a - b),
      );
      const settled = await pool.mapSettled(t.square, items);
      assert.deepEqual(
        settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason)),
        expected,
      );
    });
  });

  it('a failing item fails alone in mapSettled (class, code, cause, stack) and rejects map with its error', async () => {
    await using server = await startRedisServer();
    const queue = 'chunked-fail';
    await withWorkers(TASKS, 2, { queue, connection: server.url }, async () => {
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const items = Array.from({ length: 3000 }, (_, i) => (i === 1777 ? -1 : i));
      const outcomes = await pool.mapSettled(t.failOn, items);
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
      assert.deepEqual(failed, [1777]);
      outcomes.forEach((o, i) => {
        if (i !== 1777) assert.deepEqual(o, { status: 'fulfilled', value: i * 2 });
      });
      const outcome = outcomes[1777];
      assert.ok(outcome?.status === 'rejected');
      const error = outcome.reason as DistTasks.ItemFailed;
      assert.equal(error.constructor.name, 'ItemFailed');
      assert.equal(error.code, 'E_ITEM');
      assert.equal(error.message, 'item -1 failed');
      assert.equal((error.cause as Error).constructor.name, 'RangeError');
      assert.equal((error.cause as Error).message, 'the cause');
      assert.match(error.stack ?? '', /failOn/);
      await assert.rejects(pool.map(t.failOn, items), (e: unknown) => {
        assert.equal((e as Error).constructor.name, 'ItemFailed');
        assert.equal((e as DistTasks.ItemFailed).code, 'E_ITEM');
        assert.equal((e as Error).message, 'item -1 failed');
        return true;
      });
      // The pool goes on: a map after it has every result.
      assert.deepEqual(await pool.map(t.square, [1, 2, 3]), [1, 4, 9]);
    });
  });

  it('a worker killed with SIGKILL mid-map: its chunk runs again on the other worker, every result once', async () => {
    await using server = await startRedisServer();
    const queue = 'chunked-kill';
    const lock = { lockDuration: 1000, stalledInterval: 500 };
    await withWorkers(TASKS, 2, { queue, connection: server.url, ...lock }, async ([a, b]) => {
      assert.ok(a && b);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const file = join(dir, 'held.txt');
      const count = 5000;
      const hold = 3100;
      const seen = new Array<number>(count).fill(0);
      const results = pool.starmap(
        t.holdFirstTime,
        Array.from({ length: count }, (_, n) => [file, n, hold] as [string, number, number]),
        {
          onResult: (_value, index) => {
            seen[index] = (seen[index] ?? 0) + 1;
          },
        },
      );
      // The worker holding item `hold` noted its task pid: kill that whole host.
      const [line] = await waitForLines(file, 1);
      const pid = Number(line?.split(' ')[1]);
      const victim = pid === a.taskPid ? a : b;
      const survivor = victim === a ? b : a;
      assert.equal(pid, victim.taskPid);
      victim.killHost();
      assert.equal(await victim.exited, 'SIGKILL');
      const values = await results;
      assert.deepEqual(
        values.map((v) => v.n),
        Array.from({ length: count }, (_, n) => n),
      );
      assert.deepEqual(
        seen.filter((s) => s !== 1),
        [],
        'every result is delivered once',
      );
      // The held item ran again, on the survivor.
      const lines = await waitForLines(file, 2);
      assert.equal(lines[1], `${hold} ${survivor.taskPid}`);
      assert.equal(values[hold]?.pid, survivor.taskPid);
    });
  });
});
