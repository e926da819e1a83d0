/**
 * Schedules on the local backends: real timers, real worker threads and child processes.
 * Runs are awaited as events; where a test must show that nothing ran, another schedule's
 * runs serve as the clock. A missed window is made for real: the event loop is blocked
 * (Atomics.wait), as a suspended process would be.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PoolClosedError } from '../core/errors.js';
import { MAX_TIMER_MS } from '../core/long-timer.js';
import { tasks } from '../core/task.js';
import type * as DistTasks from '../distributed/fixtures/dist-tasks.js';
import { Pool } from '../pool/pool.js';
import { InvalidScheduleError, ScheduleNotFoundError } from './errors.js';
import type { ScheduleRun } from './schedule.js';
import { parseEvery } from './spec.js';
import { next } from './testing/next-events.js';

const t = tasks<typeof DistTasks>(new URL('../distributed/fixtures/dist-tasks.js', import.meta.url));

/** Blocks this thread's event loop for `ms`, as a suspended process would be. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('local schedules', { timeout: 60_000 }, () => {
  it('every: runs at once, then one run per interval, each with its arguments (async backend, a function)', async () => {
    await using pool = new Pool({ backend: 'async' });
    const made = Date.now();
    const add = (a: number, b: number) => a + b;
    const schedule = await pool.schedule(add, { every: '250ms' }, 2, 3);
    const runs = await next(schedule, 'run', 4);
    await schedule.remove();
    assert.deepEqual(await Promise.all(runs.map((r) => r.job.get())), [5, 5, 5, 5]);
    const first = runs[0]?.due.getTime() as number;
    assert.ok(first >= made && first - made < 250, `first run due ${first - made} ms after schedule()`);
    assert.deepEqual(
      runs.map((r) => r.due.getTime() - first),
      [0, 250, 500, 750],
    );
    assert.ok(runs.every((r) => !r.late));
  });

  for (const backend of ['sequential', 'threads', 'processes'] as const) {
    it(`runs a task reference with typed arguments on ${backend}`, async () => {
      await using pool = new Pool({ backend, workers: 1 });
      const schedule = await pool.schedule(t.square, { every: 50 }, 7);
      const [run] = await next(schedule, 'run');
      await schedule.pause();
      assert.equal(await run?.job.get(), 49);
      const [info] = await pool.schedules();
      assert.equal(info?.task, 'dist-tasks#square');
      assert.deepEqual(info?.args, [7]);
      assert.equal(info?.timing, 'every 50ms');
    });
  }

  it('pause stops the runs (another schedule as the clock), resume starts them again, remove ends them', async () => {
    await using pool = new Pool({ backend: 'async' });
    const counted = await pool.schedule(() => 'counted', { every: '40ms', id: 'counted' });
    const clock = await pool.schedule(() => 'tick', { every: '20ms', id: 'clock' });
    await next(counted, 'run');
    await counted.pause();
    assert.equal((await counted.info()).paused, true);
    assert.equal((await counted.info()).next, undefined);
    let runsWhilePaused = 0;
    const count = () => runsWhilePaused++;
    counted.on('run', count);
    await next(clock, 'run', 10); // 200 ms: five windows of `counted`
    assert.equal(runsWhilePaused, 0, 'a paused schedule ran');
    counted.off('run', count);
    await counted.resume();
    const info = await counted.info();
    assert.equal(info.paused, false);
    assert.ok(info.next instanceof Date);
    const [resumed] = await next(counted, 'run');
    assert.equal(await resumed?.job.get(), 'counted');
    assert.equal(await counted.remove(), true);
    assert.equal(await counted.remove(), false);
    assert.deepEqual(
      (await pool.schedules()).map((s) => s.id),
      ['clock'],
    );
    await assert.rejects(counted.info(), ScheduleNotFoundError);
    await assert.rejects(counted.pause(), { code: 'ERR_TASKMILL_SCHEDULE_NOT_FOUND' });
    let ranAfterRemove = 0;
    counted.on('run', () => ranAfterRemove++);
    await next(clock, 'run', 6);
    assert.equal(ranAfterRemove, 0, 'a removed schedule ran');
    await clock.remove();
  });

  it('the same id again replaces the schedule (new timing and arguments, one schedule, its handle kept)', async () => {
    await using pool = new Pool({ backend: 'async' });
    const echo = (value: string) => value;
    const first = await pool.schedule(echo, { every: '1h', id: 'greeting' }, 'hello');
    const second = await pool.schedule(echo, { every: '30ms', id: 'greeting' }, 'hi');
    assert.equal(second, first);
    const listed = await pool.schedules();
    assert.deepEqual(
      listed.map((s) => [s.id, s.timing, s.args]),
      [['greeting', 'every 30ms', ['hi']]],
    );
    const runs = await next(second, 'run', 2);
    assert.deepEqual(await Promise.all(runs.map((r) => r.job.get())), ['hi', 'hi']);
    await second.remove();
  });

  it("missed: 'skip' lets windows that passed go unrun and goes on from the next window", async () => {
    await using pool = new Pool({ backend: 'async' });
    const schedule = await pool.schedule(() => 1, { every: '100ms', missed: 'skip' });
    const [first] = await next(schedule, 'run');
    const missed = next(schedule, 'missed');
    const after = next(schedule, 'run');
    let lateRuns = 0;
    schedule.on('run', (run) => {
      if (run.late) lateRuns++;
    });
    blockFor(450);
    const unblocked = Date.now();
    const [gap] = await missed;
    const [resumed] = await after;
    await schedule.remove();
    const start = first?.due.getTime() as number;
    assert.equal(gap?.due.getTime(), start + 100);
    assert.equal(gap?.reason, 'window passed');
    assert.ok((gap?.windows ?? 0) >= 4, `${gap?.windows} windows missed in 450 ms of 100 ms windows`);
    const due = resumed?.due.getTime() as number;
    assert.ok(due > unblocked - 5, 'the next run is in a window after the block');
    assert.equal((due - start) % 100, 0, 'runs stay on the schedule’s grid');
    assert.equal(resumed?.late, false);
    assert.equal(lateRuns, 0);
  });

  it("missed: 'run-once' (the default) runs once for all the windows that passed, then keeps to the grid", async () => {
    await using pool = new Pool({ backend: 'async' });
    const schedule = await pool.schedule(() => 1, { every: '100ms' });
    const [first] = await next(schedule, 'run');
    const runs = next(schedule, 'run', 2);
    let missedEvents = 0;
    schedule.on('missed', () => missedEvents++);
    blockFor(450);
    const unblocked = Date.now();
    const [catchUp, onGrid] = await runs;
    await schedule.remove();
    const start = first?.due.getTime() as number;
    assert.equal(catchUp?.late, true);
    assert.equal(catchUp?.due.getTime(), start + 100, 'the catch-up run is the first window missed');
    assert.equal(onGrid?.late, false);
    const due = onGrid?.due.getTime() as number;
    assert.ok(due > unblocked - 5 && (due - start) % 100 === 0, 'then the first window after the block');
    assert.equal(missedEvents, 0);
  });

  it("a run that finds the pool's queue full (maxQueue) is missed, with reason 'queue full'; the schedule goes on", async () => {
    await using pool = new Pool({ backend: 'async', concurrency: 1, maxQueue: 1 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const busy = [pool.apply(() => gate), pool.apply(() => gate)]; // one running, one waiting: full
    const schedule = await pool.schedule(() => 'ran', { every: '50ms' });
    const [missed] = await next(schedule, 'missed');
    assert.equal(missed?.reason, 'queue full');
    assert.equal(missed?.windows, 1);
    release();
    await Promise.all(busy);
    const [run] = await next(schedule, 'run');
    assert.equal(await run?.job.get(), 'ran');
    await schedule.remove();
  });

  it('resume starts an every schedule at once, on a new grid that missed windows keep to', async () => {
    await using pool = new Pool({ backend: 'async' });
    const schedule = await pool.schedule(() => 1, { every: '100ms' });
    await next(schedule, 'run');
    await schedule.pause();
    blockFor(37); // off the old grid
    const resumedAt = Date.now();
    await schedule.resume();
    const [again] = await next(schedule, 'run');
    const start = again?.due.getTime() as number;
    assert.ok(start >= resumedAt && start - resumedAt < 100, 'runs at once on resume');
    const runs = next(schedule, 'run', 2);
    blockFor(350);
    const [catchUp, onGrid] = await runs;
    await schedule.remove();
    assert.equal(catchUp?.late, true);
    assert.equal(((onGrid?.due.getTime() as number) - start) % 100, 0);
  });

  it('cron: a 6-field pattern in a time zone runs on its seconds', async () => {
    await using pool = new Pool({ backend: 'async' });
    const schedule = await pool.schedule(() => 'cron', { cron: '* * * * * *', tz: 'Europe/Berlin' });
    const info = await schedule.info();
    assert.equal(info.timing, 'cron * * * * * * (Europe/Berlin)');
    assert.equal((info.next?.getTime() ?? 1) % 1000, 0);
    const [run] = await next(schedule, 'run');
    await schedule.remove();
    assert.equal((run?.due.getTime() ?? 1) % 1000, 0);
    assert.equal(await run?.job.get(), 'cron');
  });

  it('a cron due further off than setTimeout can wait (24.8 days) is scheduled without a timer overflow', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await using pool = new Pool({ backend: 'async' });
      let ran = 0;
      // Leap days only: always further off than one setTimeout can wait.
      const schedule = await pool.schedule(() => ran++, { cron: '0 0 29 2 *', tz: 'America/New_York' });
      const next = (await schedule.info()).next as Date;
      assert.ok(next.getTime() - Date.now() > MAX_TIMER_MS);
      // Midnight in New York in February is 05:00 UTC.
      assert.equal(next.getUTCHours(), 5);
      assert.equal(next.getUTCDate(), 29);
      assert.equal(next.getUTCMonth(), 1);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(ran, 0);
      assert.deepEqual(warnings, []);
      await schedule.remove();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close() ends the schedules; schedule() on a closed pool is refused', async () => {
    const pool = new Pool({ backend: 'async' });
    const schedule = await pool.schedule(() => 1, { every: '30ms' });
    await next(schedule, 'run', 2);
    pool.close();
    await pool.join();
    assert.equal((await schedule.info()).next, undefined);
    await assert.rejects(
      pool.schedule(() => 1, { every: '1s' }),
      PoolClosedError,
    );
  });
});

describe('schedule options are checked', { timeout: 30_000 }, () => {
  const cases: [options: unknown, message: RegExp][] = [
    [{ every: '15 minutes' }, /every takes a duration such as '15m'.*got "15 minutes"/],
    [{ every: '' }, /every takes a duration/],
    [{ every: 0 }, /not a whole number of ms of at least 1/],
    [{ every: -5 }, /at least 1/],
    [{ cron: '61 * * * *' }, /cron "61 \* \* \* \*" is not a valid pattern: .*0-59/],
    [{ cron: '* * * *' }, /cron takes 5 fields .* \(4 fields\)/],
    [{ cron: 'every day' }, /cron takes 5 fields/],
    [{ cron: '0 3 * * *', tz: 'Europe/Atlantis' }, /tz "Europe\/Atlantis" is not a time zone .*IANA/],
    [{ every: '1m', tz: 'UTC' }, /tz applies to cron schedules only/],
    [{ every: '1m', cron: '* * * * *' }, /exactly one of every or cron/],
    [{}, /exactly one of every or cron/],
    [{ every: '1m', missed: 'catch-up' }, /missed must be 'skip' or 'run-once'/],
    [{ every: '1m', id: 'has spaces' }, /schedule id "has spaces" is not valid/],
  ];
  for (const [options, message] of cases) {
    it(`refuses ${JSON.stringify(options)}`, async () => {
      await using pool = new Pool({ backend: 'async' });
      await assert.rejects(
        pool.schedule(() => 1, options as never),
        (error: Error) => {
          assert.ok(error instanceof InvalidScheduleError, `${error.name}: ${error.message}`);
          assert.equal((error as InvalidScheduleError).code, 'ERR_TASKMILL_INVALID_SCHEDULE');
          assert.match(error.message, message);
          return true;
        },
      );
      assert.deepEqual(await pool.schedules(), []);
    });
  }

  it('refuses an unknown option key, naming the closest one', async () => {
    await using pool = new Pool({ backend: 'async' });
    await assert.rejects(
      pool.schedule(() => 1, { evry: '1m' } as never),
      {
        code: 'ERR_TASKMILL_INVALID_ARGUMENT',
        message: /schedule options has no option "evry": did you mean "every"\?/,
      },
    );
  });

  it('refuses a task the backend cannot run (a function on threads)', async () => {
    await using pool = new Pool({ backend: 'threads', workers: 1 });
    await assert.rejects(
      pool.schedule(() => 1, { every: '1m' }),
      { code: 'ERR_TASKMILL_INVALID_ARGUMENT' },
    );
  });

  it('reads every strings with units and compounds', () => {
    assert.equal(parseEvery('15m'), 900_000);
    assert.equal(parseEvery('1h30m'), 5_400_000);
    assert.equal(parseEvery('2.5s'), 2500);
    assert.equal(parseEvery('500ms'), 500);
    assert.equal(parseEvery('1d'), 86_400_000);
    assert.equal(parseEvery(1234), 1234);
    assert.throws(() => parseEvery('5x'), InvalidScheduleError);
    assert.throws(() => parseEvery(1.5), InvalidScheduleError);
  });

  it('types: arguments are checked like apply()', async () => {
    await using pool = new Pool({ backend: 'async' });
    // @ts-expect-error square takes a number
    const wrong = pool.schedule(t.square, { every: '1h' }, 'seven');
    (await wrong).remove();
    const right = await pool.schedule(t.square, { every: '1h' }, 7);
    const [run] = await next(right, 'run');
    // The run's Job has the task's result type.
    const value: number = await (run as ScheduleRun<number>).job.get();
    assert.equal(value, 49);
    right.on('run', (later) => {
      const typed: Promise<number> = later.job.get();
      void typed;
    });
    await right.remove();
  });
});
