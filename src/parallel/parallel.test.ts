import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AutoChoice, type ParallelProgress, parallel, tasks } from '../index.js';
import type * as Work from './fixtures/work-tasks.js';

const t = tasks<typeof Work>(new URL('./fixtures/work-tasks.js', import.meta.url));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('parallel()', () => {
  it('maps a task over items and returns results in input order', async () => {
    const results = await parallel(range(100), t.sleepThenEcho, { backend: 'async', jobs: 50 });
    assert.deepEqual([...results], range(100));
  });

  it('accepts a plain function on the async and sequential backends', async () => {
    assert.deepEqual(
      [...(await parallel([1, 2, 3], (n: number) => n * 10, { backend: 'sequential' }))],
      [10, 20, 30],
    );
  });

  it('fails on the first error, or returns every outcome with settle', async () => {
    await assert.rejects(parallel(range(6), t.failOnOdd, { backend: 'async' }), /odd value/);
    const settled = await parallel(range(4), t.failOnOdd, { backend: 'async', settle: true });
    assert.deepEqual(
      settled.map((outcome) => outcome.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
  });

  it('jobs: -1 means every core; other bad values are refused with a clear error', async () => {
    const events: AutoChoice[] = [];
    await parallel(range(8), t.fibOf32, {
      backend: 'auto',
      jobs: -1,
      onEvent: (e) => e.type === 'choice' && events.push(e.choice),
    });
    assert.equal(events[0]?.jobs, availableParallelism());
    await assert.rejects(parallel([1], t.fibOf25, { jobs: 0 }), /jobs must be a whole number/);
  });

  it('auto runs a waiting task on the event loop and says why', async () => {
    const choices: AutoChoice[] = [];
    const results = await parallel(range(30), t.longSleepThenEcho, {
      backend: 'auto',
      onEvent: (event) => {
        if (event.type === 'choice') choices.push(event.choice);
      },
    });
    assert.deepEqual([...results], range(30));
    assert.equal(results.choice?.backend, 'async', results.choice?.reason);
    assert.equal(choices[0]?.backend, 'async');
    assert.match(String(results.choice?.reason), /I\/O-bound/);
  });

  it('auto runs a CPU loop on worker threads, one per core', async () => {
    const results = await parallel(range(12), t.fibOf32, { backend: 'auto' });
    assert.deepEqual([...results], range(12));
    assert.equal(results.choice?.backend, 'threads', results.choice?.reason);
    assert.equal(results.choice?.jobs, availableParallelism());
    assert.match(String(results.choice?.reason), /CPU-bound/);
  });

  it('reports progress to a callback, including what tasks report', async () => {
    const seen: ParallelProgress[] = [];
    await parallel(range(20), t.halfway, { backend: 'async', jobs: 5, progress: (p) => seen.push(p) });
    const last = seen.filter((p) => p.update === undefined).at(-1);
    assert.equal(last?.done, 20);
    assert.equal(last?.total, 20);
    const updates = seen.filter((p) => p.update !== undefined);
    assert.equal(updates.length, 20);
    assert.match(String(updates[0]?.update?.message), /half done/);
  });

  it('prints plain progress lines and joblib-like verbose lines when stderr is not a terminal', async () => {
    const script = fileURLToPath(new URL('./fixtures/verbose-run.js', import.meta.url));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script]);
    assert.deepEqual(JSON.parse(stdout), range(40));
    assert.match(stderr, /\[parallel\(jobs=4\)\]: Done 1 of 40 \| elapsed: /);
    assert.match(stderr, /Done 40 of 40/);
    assert.match(stderr, /^halfway: 40\/40 \(100%\)/m);
    assert.ok(!stderr.includes('\u001b['), 'no terminal escape codes in a log');
  });
});
