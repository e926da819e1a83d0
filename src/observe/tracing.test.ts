/**
 * OpenTelemetry across threads, processes and Redis: the caller's span and the worker's span
 * share one trace, the worker's is the child of the caller's, and spans the task opens (before
 * and after an await) are children of the worker's. The traceparent travels in the Redis job.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { tasks } from '../core/task.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { type RedisWorker, startWorker } from '../distributed/worker.js';
import { Pool } from '../pool/pool.js';
import * as traced from './fixtures/traced-tasks.js';
import { formatTraceparent, parseTraceparent } from './tracing.js';

const MODULE = new URL('./fixtures/traced-tasks.js', import.meta.url);
const t = tasks<typeof traced>(MODULE);

before(() => traced.setupTracing());

/** Runs `body` inside a root span; returns the root's ids. */
async function underRoot(body: () => Promise<void>): Promise<{ traceId: string; spanId: string }> {
  return trace.getTracer('test').startActiveSpan('test root', async (root) => {
    await body();
    root.end();
    return { traceId: root.spanContext().traceId, spanId: root.spanContext().spanId };
  });
}

function checkChain(
  root: { traceId: string; spanId: string },
  local: traced.SpanSeen[],
  remote: traced.SpanSeen[],
) {
  const caller = local.find(
    (s) => s.name === 'taskmill traced-tasks#tracedWork' && s.traceId === root.traceId,
  );
  assert.ok(caller, 'the caller span is recorded');
  assert.equal(caller.parentSpanId, root.spanId);
  const worker = remote.find(
    (s) => s.name === 'taskmill run traced-tasks#tracedWork' && s.traceId === root.traceId,
  );
  assert.ok(worker, 'the worker span is recorded');
  assert.equal(worker.parentSpanId, caller.spanId);
  for (const name of ['user work', 'after await']) {
    const own = remote.find((s) => s.name === name && s.traceId === root.traceId);
    assert.ok(own, `the task's own span "${name}" is in the trace`);
    assert.equal(own.parentSpanId, worker.spanId);
  }
  return { caller, worker };
}

describe('traces cross threads and processes', { timeout: 60_000 }, () => {
  for (const backend of ['threads', 'processes'] as const) {
    it(`${backend}: caller span -> worker span -> the task's spans`, async () => {
      const pool = new Pool({ backend, workers: 1, initializer: t.setupTracing });
      try {
        const root = await underRoot(async () => {
          assert.equal(await pool.apply(t.tracedWork, 21), 42);
        });
        const remote = await pool.apply(t.finishedSpans);
        const { worker } = checkChain(root, traced.finishedSpans(), remote);
        assert.notEqual(worker.pid === process.pid, backend === 'processes');
      } finally {
        await pool.terminate();
      }
    });
  }

  it('a failing call ends its spans with an error status', async () => {
    const pool = new Pool({ backend: 'threads', workers: 1, initializer: t.setupTracing });
    try {
      const root = await underRoot(async () => {
        await assert.rejects(pool.apply(t.tracedFailure), /traced failure/);
      });
      const caller = traced
        .finishedSpans()
        .find((s) => s.name === 'taskmill traced-tasks#tracedFailure' && s.traceId === root.traceId);
      assert.equal(caller?.status, 2);
      const remote = await pool.apply(t.finishedSpans);
      const worker = remote.find(
        (s) => s.name === 'taskmill run traced-tasks#tracedFailure' && s.traceId === root.traceId,
      );
      assert.equal(worker?.status, 2);
      assert.equal(worker?.parentSpanId, caller?.spanId);
    } finally {
      await pool.terminate();
    }
  });

  it('traceparent text: written and read as W3C says, malformed input refused', () => {
    const context = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    const text = formatTraceparent(context);
    assert.equal(text, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.deepEqual(parseTraceparent(text), { ...context, isRemote: true });
    for (const bad of [
      undefined,
      42,
      '',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01<script>`,
    ])
      assert.equal(parseTraceparent(bad), undefined, String(bad));
  });
});

describe('traces cross machines through Redis', { timeout: 60_000 }, () => {
  let server: RedisServer;
  let worker: RedisWorker;
  before(async () => {
    server = await startRedisServer();
    // In this process, where the test's tracer provider collects the worker's spans.
    worker = await startWorker({
      tasks: [MODULE],
      queue: 'traced',
      connection: server.url,
      isolation: 'none',
    });
  });
  after(async () => {
    await worker?.close();
    await server?.stop();
  });

  it('enqueue() is traced too: its job carries the caller span’s context', async () => {
    const pool = new Pool({ backend: 'redis', connection: server.url, queue: 'traced', metrics: true });
    try {
      let jobId = '';
      const root = await underRoot(async () => {
        const job = await pool.enqueue(t.tracedWork, [4], { attempts: 2 });
        jobId = job.id;
        assert.equal(await job.get(), 8);
      });
      const spans = traced.finishedSpans();
      const caller = spans.find(
        (s) => s.name === 'taskmill traced-tasks#tracedWork' && s.traceId === root.traceId,
      );
      const worker = spans.find(
        (s) => s.name === 'taskmill run traced-tasks#tracedWork' && s.traceId === root.traceId,
      );
      assert.equal(caller?.parentSpanId, root.spanId);
      assert.equal(worker?.parentSpanId, caller?.spanId);
      assert.ok(jobId !== '');
      const counted = pool.metrics().tasks.find((x) => x.task === 'traced-tasks#tracedWork');
      assert.equal(counted?.submitted, 1);
      assert.equal(counted?.completed, 1);
    } finally {
      await pool.terminate();
    }
  });

  it('the job carries the traceparent; the worker span is the caller span’s child', async () => {
    const pool = new Pool({ backend: 'redis', connection: server.url, queue: 'traced' });
    try {
      const root = await underRoot(async () => {
        assert.equal(await pool.apply(t.tracedWork, 5), 10);
      });
      const spans = traced.finishedSpans();
      const { caller } = checkChain(root, spans, spans);
      const { Redis } = await import('ioredis');
      const client = new Redis(server.url);
      try {
        const ids = await client.zrange('bull:traced:completed', '0', '-1');
        const data = await Promise.all(ids.map((id) => client.hget(`bull:traced:${id}`, 'data')));
        const carried = data.map((d) => JSON.parse(d ?? '{}').traceparent).filter(Boolean);
        assert.ok(
          carried.includes(`00-${root.traceId}-${caller.spanId}-01`),
          `job data: ${carried.join(', ')}`,
        );
      } finally {
        client.disconnect();
      }
    } finally {
      await pool.terminate();
    }
  });
});
