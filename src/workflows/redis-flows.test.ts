/**
 * Workflows on Redis survive their workers and their caller: a chord of 999 nodes and its
 * callback on 3 worker processes, one killed with SIGKILL mid-run, completes with every node's
 * side effect recorded at least once and every result delivered exactly once; a caller killed
 * mid-flow is replaced by another process that reattaches by id and finishes the flow without
 * running any finished node again; a finished flow reads back by id, failed or not.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tasks } from '../core/task.js';
import { startRedisServer } from '../distributed/testing/redis-server.js';
import { waitForLines, withWorkers } from '../distributed/testing/worker-process.js';
import { Pool } from '../pool/pool.js';
import { chain, chord, group } from './compose.js';
import { FlowNodeError, FlowNotFoundError } from './errors.js';
import type * as FlowTasks from './fixtures/flow-tasks.js';
import type { NodeEvent } from './flow-run.js';

const TASKS = new URL('./fixtures/flow-tasks.js', import.meta.url);
const CALLER = new URL('./fixtures/flow-caller.js', import.meta.url);
const t = tasks<typeof FlowTasks>(TASKS);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskmill-redis-flows-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** How many times each number appears first on the lines of a side-effect file. */
function countRuns(lines: string[]): Map<number, number> {
  const runs = new Map<number, number>();
  for (const line of lines) {
    const n = Number(line.split(' ')[0]);
    runs.set(n, (runs.get(n) ?? 0) + 1);
  }
  return runs;
}

/** Starts the caller fixture and reads the id of the flow it submitted. */
async function startCaller(
  url: string,
  queue: string,
  prefix: string,
  kind: 'chains' | 'retry',
  count: number,
): Promise<{ caller: ChildProcess; exited: Promise<unknown>; id: string }> {
  const caller = spawn(process.execPath, [CALLER.pathname, url, queue, prefix, kind, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => caller.once('exit', (code, signal) => resolve(signal ?? code)));
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    caller.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /flow (\S+)\n/.exec(out);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    caller.once('exit', () => reject(new Error(`the caller exited before printing the flow id: ${out}`)));
  });
  return { caller, exited, id };
}

/** Nodes that ran more than once were on the killed worker (`pid`) once, and there are at most `most`. */
function assertRerunsFrom(lines: string[], pid: number, most: number): void {
  const byNode = new Map<number, string[]>();
  for (const line of lines) {
    const n = Number(line.split(' ')[0]);
    byNode.set(n, [...(byNode.get(n) ?? []), line]);
  }
  const again = [...byNode].filter(([, runs]) => runs.length > 1);
  assert.ok(
    again.length <= most,
    `${again.length} nodes ran again, more than the ${most} the killed worker held`,
  );
  for (const [n, runs] of again)
    assert.ok(
      runs.some((line) => line.endsWith(` ${pid}`)),
      `node ${n} ran ${runs.length} times, never on the killed worker: ${runs.join('; ')}`,
    );
}

describe('workflows on redis: killed workers, killed callers, reattach by id', { timeout: 180_000 }, () => {
  it('1,000 nodes on 3 workers, one killed with SIGKILL mid-run: every side effect at least once, every result exactly once', async () => {
    await using server = await startRedisServer();
    const queue = 'flow-kill';
    const file = join(dir, 'kill.txt');
    const count = 999;
    await withWorkers(TASKS, 3, { queue, connection: server.url, concurrency: 10 }, async ([a, b, c]) => {
      assert.ok(a && b && c);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const flow = chord(
        Array.from({ length: count }, (_, i) => t.record.partial(file, 10, i)),
        t.collect,
      );
      const handle = pool.submitFlow(flow);
      const fulfilled = new Map<number, number>();
      handle.on('node', (event: NodeEvent) => {
        if (event.state === 'fulfilled') fulfilled.set(event.node, (fulfilled.get(event.node) ?? 0) + 1);
      });
      // Once the first worker has run some nodes, kill it (and the process running its tasks).
      await waitForLines(file, 3, (line) => line.endsWith(` ${a.taskPid}`));
      a.killHost();
      assert.equal(await a.exited, 'SIGKILL');
      const values = await handle;
      // Each result exactly once: the callback got every node's output once, in order.
      assert.deepEqual(
        values,
        Array.from({ length: count }, (_, i) => i),
      );
      assert.equal(fulfilled.size, count + 1);
      assert.ok([...fulfilled.values()].every((times) => times === 1));
      // Each side effect at least once; the killed worker's unfinished nodes ran again elsewhere.
      const lines = await waitForLines(file, count);
      const runs = countRuns(lines);
      for (let i = 0; i < count; i++) assert.ok((runs.get(i) ?? 0) >= 1, `node ${i} never ran`);
      const onKilled = lines.filter((line) => line.endsWith(` ${a.taskPid}`)).length;
      assert.ok(onKilled > 0 && onKilled < count, `${onKilled} nodes ran on the killed worker`);
      assertRerunsFrom(lines, a.taskPid, 10 * 8);
      assert.equal(handle.state, 'fulfilled');
    });
  });

  it('one job per node (chunkSize 1): a worker killed mid-node reruns only the nodes it was running', async () => {
    await using server = await startRedisServer();
    const queue = 'flow-kill-single';
    const file = join(dir, 'kill-single.txt');
    const count = 300;
    const concurrency = 5;
    await withWorkers(TASKS, 3, { queue, connection: server.url, concurrency }, async ([a]) => {
      assert.ok(a);
      await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
      const flow = chord(
        Array.from({ length: count }, (_, i) => t.record.partial(file, 20, i)),
        t.collect,
      );
      const handle = pool.submitFlow(flow, { chunkSize: 1 });
      await waitForLines(file, 3, (line) => line.endsWith(` ${a.taskPid}`));
      a.killHost();
      assert.equal(await a.exited, 'SIGKILL');
      assert.deepEqual(
        await handle,
        Array.from({ length: count }, (_, i) => i),
      );
      const lines = await waitForLines(file, count);
      // At most the jobs the killed worker held (its concurrency) ran again, each a node it ran.
      assertRerunsFrom(lines, a.taskPid, concurrency);
    });
  });

  it('a caller killed mid-flow: another process reattaches by id and finishes it, no finished node run again', async () => {
    await using server = await startRedisServer();
    const queue = 'flow-reattach';
    const prefix = join(dir, 'reattach');
    const count = 20;
    await withWorkers(TASKS, 1, { queue, connection: server.url, concurrency: 4 }, async () => {
      const { caller, exited, id } = await startCaller(server.url, queue, prefix, 'chains', count);
      try {
        // Some first steps done, the second steps not all started: kill the caller without warning.
        await waitForLines(`${prefix}-1.txt`, 6);
        caller.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL');
        // The flow was not finished: its callback (at least) is left to the next caller.
        const secondSteps = (await readFile(`${prefix}-2.txt`, 'utf8').catch(() => '')).split('\n');
        assert.ok(secondSteps.length - 1 < count, 'the caller was killed after its flow had finished');
        await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
        const handle = pool.flow<number[]>(id);
        const values = await handle;
        assert.deepEqual(
          values,
          Array.from({ length: count }, (_, i) => i),
        );
        assert.equal(handle.id, id);
        assert.equal(handle.nodes.length, count * 2 + 1);
        assert.ok(handle.nodes.every((node) => node.state === 'fulfilled'));
        // Every node ran exactly once: the jobs in flight were followed by id, not enqueued again.
        for (const step of [1, 2]) {
          const runs = countRuns(await waitForLines(`${prefix}-${step}.txt`, count));
          for (let i = 0; i < count; i++)
            assert.equal(runs.get(i), 1, `step ${step} of chain ${i} ran ${runs.get(i)} times`);
        }
        // Finished: reading it again gives the stored result at once.
        assert.deepEqual(await pool.flow(id), values);
      } finally {
        caller.kill('SIGKILL');
      }
    });
  });

  it('a caller killed while a node waits for its retry: the resumed flow retries it once, nothing else runs again', async () => {
    await using server = await startRedisServer();
    const queue = 'flow-resume-retry';
    const prefix = join(dir, 'resume-retry');
    await withWorkers(TASKS, 1, { queue, connection: server.url }, async () => {
      const { caller, exited, id } = await startCaller(server.url, queue, prefix, 'retry', 0);
      try {
        // The flaky step has failed once: its retry waits 1.5 s. Kill the caller meanwhile.
        await waitForLines(`${prefix}-flaky.txt`, 1);
        caller.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL');
        await using pool = new Pool({ backend: 'redis', connection: server.url, queue });
        const handle = pool.flow<number>(id);
        assert.equal(await handle, 3);
        assert.deepEqual(
          handle.nodes.map((n) => [n.state, n.attempts]),
          [
            ['fulfilled', 1],
            ['fulfilled', 2],
            ['fulfilled', 1],
          ],
        );
        assert.equal((await waitForLines(`${prefix}-flaky.txt`, 2)).length, 2);
        assert.equal((await waitForLines(`${prefix}-after.txt`, 1)).length, 1);
      } finally {
        caller.kill('SIGKILL');
      }
    });
  });

  it('a finished flow reads back by id from a second pool: result, failure with its node; unknown ids are refused', async () => {
    await using server = await startRedisServer();
    const queue = 'flow-read';
    await withWorkers(TASKS, 1, { queue, connection: server.url }, async () => {
      await using first = new Pool({ backend: 'redis', connection: server.url, queue });
      await using second = new Pool({ backend: 'redis', connection: server.url, queue });
      const ok = first.submitFlow(chord(group(t.add.partial(1, 2), t.add.partial(3, 4)), t.sum));
      assert.equal(await ok, 10);
      const read = second.flow(ok.id);
      assert.equal(await read, 10);
      assert.deepEqual(
        read.nodes.map((n) => n.state),
        ['fulfilled', 'fulfilled', 'fulfilled'],
      );
      assert.equal(read.state, 'fulfilled');
      const bad = first.submitFlow(chain(t.add.partial(1, 2), t.fail.partial('no')));
      const error = await bad.result().catch((e: unknown) => e);
      assert.ok(error instanceof FlowNodeError);
      const readBad = second.flow(bad.id);
      const again = await readBad.result().catch((e: unknown) => e);
      assert.deepEqual(
        readBad.nodes.map((n) => n.state),
        ['fulfilled', 'rejected'],
      );
      assert.equal(readBad.state, 'rejected');
      assert.ok(again instanceof FlowNodeError, String(again));
      assert.equal(again.node, 1);
      assert.equal(again.path, 'chain[1] > flow-tasks#fail');
      assert.equal((again.cause as Error).message, 'no');
      assert.equal((again.cause as { code?: string }).code, 'E_FLOW_TASK');
      await assert.rejects(second.flow('flow-nope').result(), FlowNotFoundError);
    });
  });
});
