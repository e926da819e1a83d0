/**
 * chain, group, chord and partial on all five backends, with the same task module: outputs
 * flow to the next step, groups keep order, a failing node fails its chain and chord naming
 * the node, retries use the node's options, cancel() stops what waits and aborts what runs,
 * progress events name their node. Redis runs on a redis-server of its own with a real worker.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError, TaskAbortedError } from '../core/errors.js';
import { tasks } from '../core/task.js';
import { openQueueAdmin } from '../distributed/queue-admin.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { type RedisWorker, startWorker } from '../distributed/worker.js';
import { Pool } from '../pool/pool.js';
import { chain, chord, group } from './compose.js';
import { FlowCancelledError, FlowNodeError } from './errors.js';
import type * as FlowTasks from './fixtures/flow-tasks.js';
import type { NodeEvent, NodeProgress } from './flow-run.js';
import type { Flow } from './spec.js';

const TASKS = new URL('./fixtures/flow-tasks.js', import.meta.url);
const t = tasks<typeof FlowTasks>(TASKS);
const BACKENDS: BackendName[] = ['sequential', 'async', 'threads', 'processes', 'redis'];

let dir: string;
let fileSeq = 0;
const newFile = () => join(dir, `f-${++fileSeq}.txt`);
const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskmill-flows-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once `file` has `count` lines (checked as the node events come, no sleeps). */
async function untilLines(file: string, count: number): Promise<string[]> {
  const until = Date.now() + 30_000;
  for (;;) {
    const found = await lines(file);
    if (found.length >= count) return found;
    if (Date.now() > until) throw new Error(`${file} has ${found.length} lines, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with how many nodes started once every `start n` line of `file` has its `aborted n`. */
async function untilEveryStartAborted(file: string): Promise<number> {
  const until = Date.now() + 30_000;
  for (;;) {
    const found = await lines(file);
    const started = found.filter((l) => l.startsWith('start ')).map((l) => l.slice(6));
    const aborted = new Set(found.filter((l) => l.startsWith('aborted ')).map((l) => l.slice(8)));
    if (started.every((n) => aborted.has(n))) return started.length;
    if (Date.now() > until)
      throw new Error(`started but never aborted: ${started.filter((n) => !aborted.has(n))}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once the queue has nothing waiting, delayed or active (polled: another process's state). */
async function untilQueueIdle(connection: string, queue: string): Promise<void> {
  const admin = await openQueueAdmin({ connection, queue });
  try {
    const until = Date.now() + 30_000;
    for (;;) {
      const counts = await admin.counts();
      if (counts.waiting + counts.active + counts.delayed === 0) return;
      if (Date.now() > until) throw new Error(`queue ${queue} still busy: ${JSON.stringify(counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await admin.close();
  }
}

for (const backend of BACKENDS) {
  describe(`workflows on ${backend}`, { timeout: 120_000 }, () => {
    let pool: Pool;
    let server: RedisServer | undefined;
    let worker: RedisWorker | undefined;

    before(async () => {
      if (backend === 'redis') {
        server = await startRedisServer();
        const queue = 'flows';
        worker = await startWorker({ tasks: [TASKS], queue, connection: server.url, concurrency: 20 });
        pool = new Pool({ backend, connection: server.url, queue });
      } else pool = new Pool({ backend, workers: 2 });
    });
    after(async () => {
      await pool?.terminate();
      await worker?.close();
      await server?.stop();
    });

    it('chain: each output is the next step’s last argument; partial binds the first ones', async () => {
      const flow = chain(t.add.partial(1, 2), t.double, t.toText, t.shout.partial('> '));
      assert.equal(await pool.run(flow), '> N=6');
      // A task reference alone, and a chain of one step.
      assert.equal(await pool.run(chain(t.add.partial(2, 2))), 4);
    });

    it('group: members run together, outputs in order (tuple or list); chord: the callback gets them all', async () => {
      const list = group(Array.from({ length: 40 }, (_, i) => chain(t.add.partial(i, 1), t.double)));
      const values = await pool.run(list);
      assert.deepEqual(
        values,
        Array.from({ length: 40 }, (_, i) => (i + 1) * 2),
      );
      const tuple = await pool.run(group(t.add.partial(1, 1), chain(t.add.partial(2, 3), t.toText)));
      assert.deepEqual(tuple, [2, 'n=5']);
      assert.equal(await pool.run(chord(list, t.sum)), 1640);
      assert.equal(await pool.run(chord([t.add.partial(1, 2), t.add.partial(3, 4)], t.sum)), 10);
      // Empty group: nothing to run, the callback gets [].
      assert.deepEqual(await pool.run(group([])), []);
      const none: Flow<[], number>[] = [];
      assert.equal(await pool.run(chord(none, t.sum)), 0);
    });

    it('nesting: a group inside a chain gets the previous output; chains of chords', async () => {
      const flow = chain(t.add.partial(1, 1), group(t.double, t.toText, chain(t.double, t.double)));
      assert.deepEqual(await pool.run(flow), [4, 'n=2', 8]);
      const inner = chain(t.double, t.add.partial(1));
      const nested = chord(
        Array.from({ length: 5 }, (_, i) => chain(t.add.partial(i, 0), inner)),
        chain(t.sum, t.toText),
      );
      // (i * 2 + 1) for i in 0..4 = 25
      assert.equal(await pool.run(nested), 'n=25');
    });

    it('a failing node fails its chain and the chord, naming the node, with the cause and its stack', async () => {
      const later = newFile();
      const flow = chord(
        [chain(t.add.partial(1, 1), t.double), chain(t.add.partial(2, 2), t.fail.partial('broken'))],
        chain(t.sum, t.record.partial(later, 0)),
      );
      const handle = pool.submitFlow(flow);
      const error = await handle.result().then(
        () => assert.fail('the flow should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof FlowNodeError, String(error));
      assert.equal(error.code, 'ERR_TASKMILL_FLOW_NODE');
      assert.equal(error.flowId, handle.id);
      assert.equal(error.node, 3);
      assert.equal(error.path, 'chain[0] > group[1] > chain[1] > flow-tasks#fail');
      assert.equal(error.task, 'flow-tasks#fail');
      const cause = error.cause as Error & { code?: string };
      assert.equal(cause.name, 'FlowTaskError');
      assert.equal(cause.code, 'E_FLOW_TASK');
      assert.equal(cause.message, 'broken');
      assert.match(error.stack ?? '', /Caused by: FlowTaskError: broken\n\s+at fail /);
      assert.equal(handle.state, 'rejected');
      const states = handle.nodes.map((n) => n.state);
      // The other chain may or may not have finished when the failure stopped the rest.
      for (const state of states.slice(0, 2))
        assert.ok(state === 'fulfilled' || state === 'cancelled', state);
      assert.deepEqual(states.slice(2), ['fulfilled', 'rejected', 'cancelled', 'cancelled']);
      // The callback never ran.
      assert.deepEqual(await lines(later), []);
    });

    it('retries use the node’s own options: attempts and backoff', async () => {
      const file = newFile();
      const events: NodeEvent[] = [];
      const flow = chain(
        t.flaky.partial(file, 2).with({ attempts: 3, backoff: { type: 'fixed', delay: 10 } }),
        t.double,
      );
      const handle = pool.submitFlow(chain(t.add.partial(3, 4), flow));
      handle.on('node', (event) => events.push(event));
      assert.equal(await handle, 14);
      assert.equal((await lines(file)).length, 3);
      const flakyEvents = events.filter((e) => e.task === 'flow-tasks#flaky');
      assert.equal(flakyEvents.filter((e) => e.state === 'waiting' && e.error !== undefined).length, 2);
      assert.deepEqual(handle.nodes[1], {
        node: 1,
        task: 'flow-tasks#flaky',
        path: 'chain[1] > chain[0] > flow-tasks#flaky',
        state: 'fulfilled',
        attempts: 3,
      });
      // Out of attempts: the error says how many it had.
      const again = newFile();
      const error = await pool
        .run(chain(t.add.partial(1, 1), t.flaky.partial(again, 5).with({ attempts: 2 })))
        .catch((e: unknown) => e);
      assert.ok(error instanceof FlowNodeError);
      assert.equal(error.attempts, 2);
      assert.match(error.message, /after 2 attempts: FlowTaskError: flaky run 2/);
    });

    it('cancel() aborts what runs (the task’s signal fires) and stops what has not started', async () => {
      const file = newFile();
      const after = newFile();
      const flow = chord(
        [t.hold.partial(file, 1), t.hold.partial(file, 2)],
        chain(t.sum, t.record.partial(after, 0)),
      );
      const handle = pool.submitFlow(flow, { chunkSize: 1 });
      if (backend === 'sequential') {
        // One at a time: the first holds the only slot.
        await untilLines(file, 1);
      } else await untilLines(file, 2);
      assert.equal(handle.cancel('enough'), true);
      const error = await handle.result().catch((e: unknown) => e);
      assert.ok(error instanceof FlowCancelledError, String(error));
      assert.equal(error.code, 'ERR_TASKMILL_FLOW_CANCELLED');
      assert.equal(handle.state, 'cancelled');
      assert.equal(handle.cancel(), false);
      const started = backend === 'sequential' ? 1 : 2;
      const found = await untilLines(file, started * 2);
      assert.equal(found.filter((l) => l.startsWith('aborted')).length, started);
      assert.deepEqual(
        handle.nodes.map((n) => n.state),
        ['cancelled', 'cancelled', 'cancelled', 'cancelled'],
      );
      assert.deepEqual(await lines(after), []);
      // A signal cancels too.
      const controller = new AbortController();
      const second = pool.submitFlow(chain(t.hold.partial(newFile(), 3), t.double), {
        signal: controller.signal,
      });
      controller.abort(new Error('stop'));
      await assert.rejects(second.result(), FlowCancelledError);
    });

    it('cancel() of a wide group: every node that started is aborted, the rest never start', async () => {
      const file = newFile();
      const nodes = 12;
      const handle = pool.submitFlow(group(Array.from({ length: nodes }, (_, i) => t.hold.partial(file, i))));
      await untilLines(file, 1);
      handle.cancel('stop');
      await assert.rejects(handle.result(), FlowCancelledError);
      if (backend !== 'redis') await pool.whenIdle();
      else await untilQueueIdle(server?.url as string, 'flows');
      // Every node that started is aborted (an abort may still be on its way: wait for it; a
      // call sent ahead to a worker thread may even start as its cancel arrives, and abort).
      const started = await untilEveryStartAborted(file);
      // Sequential runs one at a time: only the first node ever started. (Threads and processes
      // send calls ahead to their workers: one that starts as the cancel arrives is aborted too.)
      if (backend === 'sequential') assert.equal(started, 1);
      assert.ok(handle.nodes.every((n) => n.state === 'cancelled'));
    });

    it('progress events name their node; node events follow each state', async () => {
      const progress: NodeProgress[] = [];
      const events: NodeEvent[] = [];
      const handle = pool.submitFlow(group(t.stepped.partial(2), t.stepped.partial(3)), { chunkSize: 1 });
      handle.on('progress', (event) => progress.push(event));
      handle.on('node', (event) => events.push(event));
      assert.deepEqual(await handle, [2, 3]);
      assert.deepEqual(
        progress.filter((p) => p.node === 1).map((p) => p.message),
        ['step 1', 'step 2', 'step 3'],
      );
      assert.equal(progress.filter((p) => p.node === 0).length, 2);
      assert.ok(progress.every((p) => p.task === 'flow-tasks#stepped'));
      for (const node of [0, 1]) {
        const states = events.filter((e) => e.node === node).map((e) => e.state);
        assert.deepEqual(states, ['queued', 'running', 'fulfilled']);
      }
      assert.deepEqual(handle.counts(), {
        waiting: 0,
        queued: 0,
        running: 0,
        fulfilled: 2,
        rejected: 0,
        cancelled: 0,
      });
    });

    it('bad input is refused at once, naming the problem', () => {
      assert.throws(() => pool.submitFlow({} as never), InvalidArgumentError);
      assert.throws(() => t.add.partial(1, 2).with({ attempts: 0 }), /attempts must be a whole number/);
      assert.throws(
        () => pool.submitFlow(chain(t.add.partial(1, 2)), { chunksize: 2 } as never),
        /chunkSize/,
      );
      const signal = new AbortController().signal;
      assert.throws(
        () => pool.submitFlow(chain(t.add.with({ signal }).partial(1, 2))),
        /chain\[0\] > flow-tasks#add: a task's own signal does not apply within a flow/,
      );
      if (backend === 'redis') assert.throws(() => pool.flow('x y'), InvalidArgumentError);
      else assert.throws(() => pool.flow('x'), /needs backend 'redis'/);
    });

    it('terminate() cancels a running flow', async () => {
      const local = backend === 'redis' ? undefined : new Pool({ backend, workers: 1 });
      if (local === undefined) return;
      const handle = local.submitFlow(chain(t.hold.partial(newFile(), 9), t.double));
      await new Promise((resolve) => setImmediate(resolve));
      await local.terminate();
      const error = await handle.result().catch((e: unknown) => e);
      assert.ok(error instanceof FlowCancelledError || error instanceof TaskAbortedError, String(error));
    });
  });
}
