/**
 * Schedules on Redis with real parts: a redis-server of the test's own, worker processes
 * (`taskmill worker`), the CLI as a command. Runs are counted from what the task leaves in a
 * file and from the jobs BullMQ completed (`repeat:<schedule id>:<due ms>`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { tasks } from '../core/task.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { spawnWorkerProcess, withWorkers } from '../distributed/testing/worker-process.js';
import { Pool } from '../pool/pool.js';
import { InvalidScheduleError, ScheduleNotFoundError } from './errors.js';
import type * as ScheduleTasks from './fixtures/schedule-tasks.js';
import { next } from './testing/next-events.js';

const run = promisify(execFile);
const TASKS = new URL('./fixtures/schedule-tasks.js', import.meta.url);
const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const t = tasks<typeof ScheduleTasks>(TASKS);
let server: RedisServer;
let dir: string;

before(async () => {
  server = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'taskmill-schedules-'));
});
after(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const pool = (queue: string) => new Pool({ backend: 'redis', connection: server.url, queue });

async function lines(file: string): Promise<string[][]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' '));
}

/** Waits until `check` holds (Redis state that workers change). */
/** Nothing of the queue waits, runs or is delayed any more. */
async function quiet(queue: Queue): Promise<boolean> {
  const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
  return Object.values(counts).every((n) => n === 0);
}

async function untilTrue(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} never happened within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Due times (ms) of the finished jobs of schedule `id`, in order, with their return values. */
async function finishedRuns(queue: Queue, id: string): Promise<{ due: number; value: unknown }[]> {
  const jobs = await queue.getJobs(['completed'], 0, -1);
  return jobs
    .filter((job) => job.id?.startsWith(`repeat:${id}:`))
    .map((job) => ({ due: Number(job.id?.slice(`repeat:${id}:`.length)), value: job.returnvalue }))
    .sort((a, b) => a.due - b.due);
}

const cli = (args: string[]) =>
  run(process.execPath, [CLI, 'queue', 'schedules', ...args, '--connection', server.url], {
    encoding: 'utf8',
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

describe('schedules on Redis', { timeout: 120_000 }, () => {
  it('every second for 10 s with 3 worker processes: 10 +/- 1 runs, never two in one window', async () => {
    const queue = 'sched-every';
    const file = join(dir, 'every.log');
    await withWorkers(TASKS, 3, { queue, connection: server.url, concurrency: 4 }, async () => {
      const p = pool(queue);
      // Three callers making the same schedule (as three replicas of a service would) make one.
      const others = [pool(queue), pool(queue)];
      try {
        const [schedule] = await Promise.all([
          p.schedule(t.record, { every: '1s', id: 'tick' }, file, 'tick'),
          ...others.map((o) => o.schedule(t.record, { every: '1s', id: 'tick' }, file, 'tick')),
        ]);
        assert.equal((await p.schedules()).length, 1);
        await new Promise((resolve) => setTimeout(resolve, 10_000)); // the window the issue measures
        assert.equal(await schedule?.remove(), true);
        const admin = new Queue(queue, { connection: { url: server.url } });
        try {
          await untilTrue(() => quiet(admin), 'the last run finishing');
          const runs = await lines(file);
          const finished = await finishedRuns(admin, 'tick');
          assert.ok(runs.length >= 9 && runs.length <= 11, `${runs.length} runs in 10 s`);
          assert.equal(
            finished.length,
            runs.length,
            `one execution per job: jobs ${JSON.stringify(finished)}, executions ${JSON.stringify(runs)}`,
          );
          const dues = finished.map((r) => r.due);
          assert.equal(new Set(dues).size, dues.length, 'two runs for one window');
          for (let i = 1; i < dues.length; i++)
            assert.equal((dues[i] as number) - (dues[i - 1] as number), 1000, `windows ${dues.join(', ')}`);
          // Each window's job ran once, not before its window began; each execution is one job's.
          const ranAt = runs.map((r) => Number(r[2])).sort((a, b) => a - b);
          const jobAt = finished.map((r) => (r.value as { at: number }).at).sort((a, b) => a - b);
          assert.deepEqual(jobAt, ranAt);
          for (const r of finished)
            assert.ok((r.value as { at: number }).at >= r.due, `a run before its window`);
          const late = Math.max(...finished.map((r) => (r.value as { at: number }).at - r.due));
          process.stdout.write(
            `${runs.length} runs in 10 s on ${new Set(runs.map((r) => r[1])).size} worker(s), latest ${late} ms after its due time\n`,
          );
          assert.equal((await admin.getJobSchedulers()).length, 0);
          assert.equal(await admin.getDelayedCount(), 0, 'remove() leaves no run waiting');
        } finally {
          await admin.close();
        }
      } finally {
        for (const o of [p, ...others]) {
          o.close();
          await o.join();
        }
      }
    });
  });

  it("a missed window (no worker up): 'run-once' runs it once late, 'skip' completes it unrun; both go on from the next window", async () => {
    const queue = 'sched-missed';
    const file = join(dir, 'missed.log');
    const p = pool(queue);
    const admin = new Queue(queue, { connection: { url: server.url } });
    try {
      const onceSchedule = await p.schedule(t.record, { every: '1s', id: 'once' }, file, 'once');
      const skipSchedule = await p.schedule(
        t.record,
        { every: '1s', id: 'skip', missed: 'skip' },
        file,
        'skip',
      );
      // All workers down for more than three windows.
      await new Promise((resolve) => setTimeout(resolve, 3300));
      const workerStart = Date.now();
      const worker = await spawnWorkerProcess({ tasks: [TASKS.pathname], queue, connection: server.url });
      try {
        await untilTrue(
          async () =>
            (await finishedRuns(admin, 'once')).length >= 2 &&
            (await finishedRuns(admin, 'skip')).length >= 2,
          'two finished runs of each schedule',
        );
        await onceSchedule.remove();
        await skipSchedule.remove();
        assert.match(worker.log(), /job repeat:skip:\d+ not run: its window passed .*missed: 'skip'/);
        assert.doesNotMatch(worker.log(), /job repeat:once:\d+ not run/);
        await untilTrue(() => quiet(admin), 'the last run finishing');
      } finally {
        await worker.stop();
      }
      const once = await finishedRuns(admin, 'once');
      const skip = await finishedRuns(admin, 'skip');
      // The first window's job waited through the outage: run once, late; the next window is after the worker came.
      assert.ok((once[0]?.due as number) < workerStart - 3000);
      const value = (r: { value: unknown } | undefined) =>
        (r?.value ?? {}) as { label?: string; at?: number; skipped?: string };
      assert.equal(value(once[0]).label, 'once');
      assert.ok((once[1]?.due as number) >= workerStart - 1000, 'no run for the windows in between');
      assert.ok((value(once[0]).at as number) >= workerStart);
      assert.equal(value(skip[0]).skipped, 'missed window');
      assert.ok((skip[1]?.due as number) >= workerStart - 1000);
      assert.equal(value(skip[1]).label, 'skip');
      const ran = await lines(file);
      const skipRuns = skip.filter((r) => value(r).skipped === undefined).length;
      assert.equal(ran.filter((r) => r[0] === 'skip').length, skipRuns, "a 'skip' run that was skipped ran");
      assert.equal(ran.filter((r) => r[0] === 'once').length, once.length);
    } finally {
      await admin.close();
      p.close();
      await p.join();
    }
  });

  it('pause removes the job scheduler and keeps the definition; schedule() again leaves it paused; resume; remove', async () => {
    const queue = 'sched-pause';
    const file = join(dir, 'pause.log');
    const p = pool(queue);
    const admin = new Queue(queue, { connection: { url: server.url } });
    try {
      const schedule = await p.schedule(
        t.record,
        { cron: '0 3 * * *', tz: 'Europe/Berlin', id: 'nightly' },
        file,
        'nightly',
      );
      let info = await schedule.info();
      assert.equal(info.paused, false);
      assert.equal(info.timing, 'cron 0 3 * * * (Europe/Berlin)');
      assert.deepEqual(info.args, [file, 'nightly']);
      const hour = Number(
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: 'numeric' }).format(info.next),
      );
      assert.equal(hour, 3);
      assert.equal(await admin.getDelayedCount(), 1);
      await schedule.pause();
      info = await schedule.info();
      assert.equal(info.paused, true);
      assert.equal(info.next, undefined);
      assert.equal((await admin.getJobSchedulers()).length, 0);
      assert.equal(await admin.getDelayedCount(), 0, 'a paused schedule leaves no job waiting');
      // A service starting again and scheduling it anew does not undo an operator's pause.
      await p.schedule(t.record, { cron: '0 4 * * *', tz: 'Europe/Berlin', id: 'nightly' }, file, 'nightly');
      info = await schedule.info();
      assert.equal(info.paused, true);
      assert.equal(info.cron, '0 4 * * *');
      assert.equal(await admin.getDelayedCount(), 0);
      await schedule.resume();
      assert.equal((await schedule.info()).paused, false);
      assert.equal((await admin.getJobSchedulers())[0]?.pattern, '0 4 * * *');
      assert.equal(await admin.getDelayedCount(), 1);
      assert.equal(await schedule.remove(), true);
      assert.equal(await schedule.remove(), false);
      assert.deepEqual(await p.schedules(), []);
      assert.equal(await admin.getDelayedCount(), 0);
      await assert.rejects(schedule.pause(), ScheduleNotFoundError);
    } finally {
      await admin.close();
      p.close();
      await p.join();
    }
  });

  it('handles report runs as locally: `run` with a Job following each result; with missed: skip, `missed` for a skipped run', async () => {
    const queue = 'sched-events';
    const file = join(dir, 'events.log');
    const p = pool(queue);
    try {
      const skipping = await p.schedule(
        t.record,
        { every: '1s', id: 'quiet', missed: 'skip' },
        file,
        'quiet',
      );
      const missed = next(skipping, 'missed');
      const afterMissed = next(skipping, 'run');
      // No worker for two windows and more.
      await new Promise((resolve) => setTimeout(resolve, 2300));
      const worker = await spawnWorkerProcess({ tasks: [TASKS.pathname], queue, connection: server.url });
      try {
        const [gap] = await missed;
        assert.equal(gap?.reason, 'window passed');
        assert.ok((gap?.windows ?? 0) >= 2, `${gap?.windows} windows`);
        const [ran] = await afterMissed;
        assert.ok((ran?.due.getTime() as number) > (gap?.due.getTime() as number));
        assert.ok(ran !== undefined);
        assert.equal(((await ran.job.get()) as { label: string }).label, 'quiet');
        await skipping.remove();
        const ticking = await p.schedule(t.record, { every: '1s', id: 'ticking' }, file, 'ticking');
        const runs = await next(ticking, 'run', 2);
        await ticking.remove();
        assert.equal(runs[0]?.job.id, `repeat:ticking:${runs[0]?.due.getTime()}`);
        assert.equal((runs[1]?.due.getTime() as number) - (runs[0]?.due.getTime() as number), 1000);
        const values = (await Promise.all(runs.map((r) => r.job.get()))) as { label: string }[];
        assert.deepEqual(
          values.map((v) => v.label),
          ['ticking', 'ticking'],
        );
        assert.ok(runs.every((r) => !r.late));
      } finally {
        await worker.stop();
      }
    } finally {
      p.close();
      await p.join();
    }
  });

  it('a schedule outlives its pool: another pool finds it; the closed pool says where to look after it', async () => {
    const queue = 'sched-outlive';
    const first = pool(queue);
    const schedule = await first.schedule(t.record, { every: '1d', id: 'daily' }, '/tmp/never', 'd');
    first.close();
    await first.join();
    await assert.rejects(schedule.pause(), {
      code: 'ERR_TASKMILL_POOL_CLOSED',
      message: /its schedules live on in Redis: .*taskmill queue schedules/,
    });
    const second = pool(queue);
    try {
      const [found] = await second.schedules();
      assert.equal(found?.id, 'daily');
      assert.equal(found?.paused, false);
      assert.ok(found?.next instanceof Date);
      const again = await second.schedule(t.record, { every: '1d', id: 'daily' }, '/tmp/never', 'd');
      const admin = new Queue(queue, { connection: { url: server.url } });
      try {
        // No worker: the run due at once waits on the queue, and remove() takes it too.
        assert.equal(await admin.getWaitingCount(), 1);
        assert.equal(await again.remove(), true);
        assert.deepEqual(await admin.getJobCounts('wait', 'delayed', 'active'), {
          wait: 0,
          delayed: 0,
          active: 0,
        });
      } finally {
        await admin.close();
      }
    } finally {
      second.close();
      await second.join();
    }
  });

  it('refuses functions and bad options before anything reaches Redis', async () => {
    const queue = 'sched-bad';
    const p = pool(queue);
    try {
      await assert.rejects(
        p.schedule(() => 1, { every: '1m' }),
        { code: 'ERR_TASKMILL_INVALID_ARGUMENT' },
      );
      await assert.rejects(p.schedule(t.record, { cron: '0 25 * * *' }, 'f', 'x'), InvalidScheduleError);
      await assert.rejects(p.schedule(t.record, { every: '1 hour' }, 'f', 'x'), InvalidScheduleError);
      await assert.rejects(p.schedule(t.record, { every: '1h', tz: 'UTC' }, 'f', 'x'), InvalidScheduleError);
      await assert.rejects(p.schedule(t.record, { every: '1h', misssed: 'skip' } as never, 'f', 'x'), {
        message: /did you mean "missed"/,
      });
      assert.deepEqual(await p.schedules(), []);
    } finally {
      p.close();
      await p.join();
    }
  });

  it('`taskmill queue schedules` lists, pauses, resumes and removes them', async () => {
    const queue = 'sched-cli';
    const p = pool(queue);
    try {
      await p.schedule(t.record, { every: '15m', id: 'cleanup' }, '/tmp/never', 'cleanup');
      await p.schedule(
        t.record,
        { cron: '0 3 * * *', tz: 'Europe/Berlin', id: 'nightly' },
        '/tmp/never',
        'n',
      );
      let listed = await cli(['--queue', queue]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(
        listed.stdout,
        /^cleanup {2}schedule-tasks#record {2}every 15m {2}missed: run-once {2}next \d{4}-/m,
      );
      assert.match(
        listed.stdout,
        /^nightly {2}schedule-tasks#record {2}cron 0 3 \* \* \* \(Europe\/Berlin\)/m,
      );
      const paused = await cli(['pause', 'nightly', '--queue', queue]);
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal(paused.stdout, 'schedule nightly paused\n');
      listed = await cli(['--queue', queue, '--json']);
      const json = JSON.parse(listed.stdout) as { id: string; paused: boolean }[];
      assert.deepEqual(
        json.map((s) => [s.id, s.paused]),
        [
          ['cleanup', false],
          ['nightly', true],
        ],
      );
      assert.match((await cli(['--queue', queue])).stdout, /^nightly .* paused$/m);
      assert.equal((await cli(['resume', 'nightly', '--queue', queue])).stdout, 'schedule nightly resumed\n');
      assert.equal((await cli(['remove', 'cleanup', '--queue', queue])).stdout, 'schedule cleanup removed\n');
      assert.deepEqual(
        (await p.schedules()).map((s) => [s.id, s.paused]),
        [['nightly', false]],
      );
      const missing = await cli(['remove', 'cleanup', '--queue', queue]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no schedule cleanup on queue sched-cli/);
      const unknown = await cli(['pause', 'nope', '--queue', queue]);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /no schedule "nope" on queue sched-cli/);
      assert.equal((await cli(['remove', 'nightly', '--queue', queue])).code, 0);
      assert.equal((await cli(['--queue', queue])).stdout, `queue ${queue}: no schedules\n`);
    } finally {
      p.close();
      await p.join();
    }
  });

  it('on a terminal (tmux): `taskmill queue schedules` shows one line per schedule', async () => {
    const queue = 'sched-tty';
    const p = pool(queue);
    const socket = `taskmill-sched-${process.pid}`;
    const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    try {
      await p.schedule(t.record, { every: '1h30m', id: 'reports' }, '/tmp/never', 'r');
      await p.schedule(t.record, { cron: '*/5 * * * *', id: 'poll', missed: 'skip' }, '/tmp/never', 'p');
      await (await p.schedule(t.record, { every: '1d', id: 'held' }, '/tmp/never', 'h')).pause();
      const command = `${process.execPath} ${CLI} queue schedules --queue ${queue} --connection ${server.url}; echo "[exit $?]"; exec cat`;
      await tmux('new-session', '-d', '-s', 'cli', '-x', '160', '-y', '20', command);
      let screen = '';
      const until = Date.now() + 30_000;
      while (!/\[exit \d+\]/.test(screen)) {
        if (Date.now() > until) throw new Error(`the command never finished on the terminal:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        screen = (await tmux('capture-pane', '-p', '-t', 'cli')).stdout;
      }
      const shown = screen.split('\n').filter((line) => line.trim() !== '');
      assert.equal(shown.length, 4, screen);
      assert.match(
        shown[0] as string,
        /^held {2}schedule-tasks#record {2}every 1d {2}missed: run-once {2}paused$/,
      );
      assert.match(
        shown[1] as string,
        /^poll {2}schedule-tasks#record {2}cron \*\/5 \* \* \* \* \(UTC\) {2}missed: skip {2}next \d{4}-\d\d-\d\dT\d\d:\d[05]:00\.000Z$/,
      );
      assert.match(
        shown[2] as string,
        /^reports {2}schedule-tasks#record {2}every 90m {2}missed: run-once {2}next /,
      );
      assert.equal(shown[3], '[exit 0]');
    } finally {
      await tmux('kill-server').catch(() => {});
      p.close();
      await p.join();
    }
  });
});
