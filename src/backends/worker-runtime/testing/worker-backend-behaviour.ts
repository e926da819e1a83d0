/**
 * Behaviour the threads and processes backends share beyond the pool contract: crashes,
 * stuck tasks, cancellation, initializers, moved buffers, TypeScript tasks, idle workers.
 * Each backend's test file runs it against real worker threads or real child processes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  InvalidArgumentError,
  move,
  Pool,
  type PoolOptions,
  TaskAbortedError,
  TaskTimeoutError,
  TaskTimeoutError as TimeoutError,
  tasks,
  UncloneableArgumentError,
  UncloneableResultError,
  WorkerCrashedError,
} from '../../../index.js';
import { mathTasks } from '../../../pool/testing/pool-contract.js';
import type * as WorkerTasks from '../fixtures/worker-tasks.js';
import { describeValue } from '../fixtures/worker-tasks.js';

export const workerTasks = tasks<typeof WorkerTasks>(new URL('../fixtures/worker-tasks.js', import.meta.url));
const w = workerTasks;
const m = mathTasks;
/** The TypeScript fixtures stay in src/ (tsc skips ts-fixtures/): found from src/ or from a dist dir alike. */
export const tsFixtures = new URL('../../../../src/backends/worker-runtime/ts-fixtures/', import.meta.url);
const run = promisify(execFile);

export function describeWorkerBackend(backend: 'threads' | 'processes'): void {
  const make = (options: PoolOptions = {}) => new Pool({ backend, workers: 2, ...options });

  describe(`${backend} backend: workers`, () => {
    it('refuses a plain function, saying how to move it into a module', () => {
      const pool = make();
      assert.throws(() => pool.submit((n: number) => n + 1, 1), InvalidArgumentError);
      assert.throws(
        () =>
          pool.submit(function double(n: number) {
            return n * 2;
          }, 1),
        /export function double/,
      );
    });

    it("runs the initializer once per worker; its result is that worker's context", async () => {
      await using pool = make({ initializer: w.rememberWhere, initializerArgs: ['init'] });
      // Two calls issued together go to two workers (a second worker starts when the first is busy).
      const results = await Promise.all([
        pool.apply(w.contextAndPlace, 'init'),
        pool.apply(w.contextAndPlace, 'init'),
      ]);
      for (const [context, place] of results) assert.equal(context, place);
      assert.notEqual(results[0]?.[1], results[1]?.[1]);
    });

    it('starts no worker before the first task, and no more than the work needs', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-lazy-'));
      const log = join(dir, 'starts.log');
      const count = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0);
      try {
        const pool = make({ workers: 2, initializer: w.countStart, initializerArgs: [log] });
        assert.equal(count(), 0);
        assert.equal(await pool.apply(m.square, 3), 9);
        assert.equal(count(), 1);
        // Two calls at once: the second worker starts.
        await Promise.all([pool.apply(m.square, 4), pool.apply(m.square, 5)]);
        assert.equal(count(), 2);
        pool.close();
        await pool.join();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('an initializer that throws fails the calls with its error', async () => {
      await using pool = make({ initializer: w.failingSetup });
      await assert.rejects(pool.apply(m.square, 2), {
        name: 'RangeError',
        message: 'setup failed on purpose',
      });
    });

    it('moves buffers wrapped in move() to threads and copies them to processes; results can be moved back', async () => {
      await using pool = make();
      const bytes = new Uint8Array(4096).fill(1);
      const job = pool.submit(w.sumBytes, move(bytes));
      assert.equal(await job.get(), 4096);
      // Moved: the sender's buffer is detached once sent. Copied: it is intact.
      assert.equal(bytes.byteLength, backend === 'threads' ? 0 : 4096);
      const back = await pool.apply(w.makeBuffer, 1000);
      assert.ok(back instanceof Uint8Array);
      assert.equal(back.byteLength, 1000);
      assert.equal(back[999], 7);
    });

    it('a worker that exits mid-task fails that task only; requests queued behind it are re-run', async () => {
      await using pool = make({ workers: 1 });
      const crashing = pool.submit(w.exitNow, 3);
      const others = [1, 2, 3, 4, 5].map((n) => pool.submit(m.square, n));
      const error = await crashing.get().then(
        () => assert.fail('exitNow should not return'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkerCrashedError, String(error));
      assert.deepEqual(error.tasks, ['worker-tasks#exitNow']);
      assert.equal(error.exitCode, 3);
      assert.deepEqual(await Promise.all(others.map((job) => job.get())), [1, 4, 9, 16, 25]);
      assert.equal(await pool.apply(m.square, 6), 36);
    });

    it('mapSettled goes on when the first items, the ones that measure the task, crash their workers', async () => {
      await using pool = make({ workers: 2 });
      // The first item per worker probes how long the task takes; when those probes die with
      // their workers nothing is measured, and the map must still run the rest (it once waited
      // for ever). Found by the model-based test.
      const settled = await pool.mapSettled(w.exitOnZero, [0, 0, 5, 6, 7]);
      assert.deepEqual(
        settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as { code?: string }).code)),
        ['ERR_TASKMILL_WORKER_CRASHED', 'ERR_TASKMILL_WORKER_CRASHED', 5, 6, 7],
      );
    });

    it('an error thrown from a timer kills the worker: its task fails, every other completes', async () => {
      await using pool = make();
      const crashing = pool.submit(w.throwInTimer);
      const others = pool.map(m.slowDouble, [1, 2, 3, 4, 5, 6, 7, 8]);
      const error = await crashing.get().catch((e: unknown) => e);
      assert.ok(error instanceof WorkerCrashedError, String(error));
      assert.match(error.message, /escaped from a timer/);
      assert.deepEqual(await others, [2, 4, 6, 8, 10, 12, 14, 16]);
    });

    it('a stuck synchronous task past its timeout fails with TaskTimeoutError; its worker is replaced', async () => {
      await using pool = make({ workers: 1 });
      const stuck = pool.submit(w.spinForever.with({ timeout: 30 }));
      const behind = [7, 8].map((n) => pool.submit(m.square, n));
      await assert.rejects(stuck.get(), TaskTimeoutError);
      assert.deepEqual(await Promise.all(behind.map((job) => job.get())), [49, 64]);
      assert.equal(await pool.apply(m.add, 20, 22), 42);
    });

    it("cancel rejects at once and fires the task's signal in its worker", async () => {
      await using pool = make({ workers: 1 });
      const job = pool.submit(w.recordAbort);
      await new Promise((resolve) => job.onProgress(resolve));
      job.cancel('changed my mind');
      await assert.rejects(job.get(), TaskAbortedError);
      // Same (only) worker, after the cancelled task ended: it saw the reason.
      const log = await pool.apply(w.readAbortLog);
      assert.equal(log.length, 1);
      assert.match(String(log[0]), /changed my mind/);
    });

    it('a cancelled task that ignores its signal is ended with its worker; the pool goes on', {
      timeout: 30_000,
    }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-ignore-'));
      await using pool = make({ workers: 1 });
      try {
        const before = await pool.apply(w.whereAmI);
        // Spins without ever reading its signal; the file it waits for never appears.
        const job = pool.submit(w.spinUntilFile, join(dir, 'never'));
        await new Promise((resolve) => job.onProgress(resolve));
        job.cancel('stop');
        await assert.rejects(job.get(), TaskAbortedError);
        // The only worker is stuck until it is ended: this call completes only on its replacement.
        const after = await pool.apply(w.whereAmI);
        assert.notEqual(after, before);
        assert.equal(await pool.apply(m.square, 12), 144);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a long task never holds quick tasks back while another worker is idle (issued after it)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-long-'));
      const release = join(dir, 'release');
      const pool = make({ workers: 2 });
      try {
        const long = pool.submit(w.spinUntilFile, release);
        await new Promise((resolve) => long.onProgress(resolve));
        // The long task spins and reads no message until released: every quick task must
        // complete on the other worker meanwhile, or this await never returns.
        const quick = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.apply(m.square, i)));
        assert.deepEqual(
          quick,
          Array.from({ length: 40 }, (_, i) => i * i),
        );
        assert.equal(long.ready(), false);
        writeFileSync(release, '');
        assert.match(await long.get(), /^(thread|process) /);
      } finally {
        writeFileSync(release, '');
        await pool.terminate();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a long task never holds quick tasks back, even those sent to its worker in the same tick', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-long-'));
      const release = join(dir, 'release');
      const pool = make({ workers: 2 });
      try {
        const long = pool.submit(w.spinUntilFile, release);
        const quick = Array.from({ length: 40 }, (_, i) => pool.submit(m.square, i));
        assert.deepEqual(
          await Promise.all(quick.map((job) => job.get())),
          Array.from({ length: 40 }, (_, i) => i * i),
        );
        assert.equal(long.ready(), false);
        writeFileSync(release, '');
        await long.get();
      } finally {
        writeFileSync(release, '');
        await pool.terminate();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('calls whose buffers were moved to a busy worker stay with it and complete there, never re-sent detached', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-long-'));
      const release = join(dir, 'release');
      const pool = make({ workers: 2 });
      try {
        const long = pool.submit(w.spinUntilFile, release);
        // Some of these are sent to the spinning worker in the same tick; on threads their
        // buffers are already in that worker, so only it can run them.
        const moved = Array.from({ length: 40 }, (_, i) =>
          pool.submit(w.sumBytes, move(new Uint8Array(1024).fill(i))),
        );
        const quick = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.apply(m.square, i)));
        assert.deepEqual(
          quick,
          Array.from({ length: 20 }, (_, i) => i * i),
        );
        writeFileSync(release, '');
        await long.get();
        assert.deepEqual(
          await Promise.all(moved.map((job) => job.get())),
          Array.from({ length: 40 }, (_, i) => 1024 * i),
        );
      } finally {
        writeFileSync(release, '');
        await pool.terminate();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a map of numbers (packed on the way) delivers every value exactly: -0, NaN, infinities, fractions, 2^53; a non-number or a hole midway still arrives as itself', async () => {
      await using pool = make();
      const special = [
        -0,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        0.1,
        2 ** 53,
        -(2 ** 31) - 1,
      ];
      const numbers = Array.from({ length: 5000 }, (_, i) =>
        i % 97 === 0 ? (special[(i / 97) % special.length] as number) : i * 1.5,
      );
      const expected = (items: readonly unknown[]) => Array.from(items, (item) => describeValue(item));
      assert.deepEqual(await pool.map(w.describeValue, numbers), expected(numbers));
      const mixed: unknown[] = [...numbers];
      mixed[3100] = '3100';
      mixed[3200] = 10n;
      assert.deepEqual(await pool.map(w.describeValue, mixed), expected(mixed));
      // biome-ignore lint/suspicious/noSparseArray: a hole in the input is the point
      const holes: unknown[] = [1, , 3, ...numbers.slice(0, 100)];
      assert.deepEqual(await pool.map(w.describeValue, holes), expected(holes));
    });

    it('copied big binary arguments arrive whole (on threads as a clone sends them: type, offset, length, shared buffers); the caller keeps its own', async () => {
      await using pool = make({ workers: 1 });
      const shared = new ArrayBuffer(256 * 1024);
      new Uint8Array(shared).fill(2);
      const floats = new Float64Array(shared, 80, 1000);
      const view = new DataView(shared, 1024, 4096);
      const big = new Uint8Array(200 * 1024).fill(1);
      const buffer = Buffer.alloc(100 * 1024, 3);
      const raw = new ArrayBuffer(64 * 1024);
      new Uint8Array(raw).fill(4);
      const small = new Uint16Array([1, 2, 3]);
      const { seen, sharedBuffer } = await pool.apply(
        w.describeCopies,
        floats,
        view,
        big,
        buffer,
        raw,
        small,
      );
      const expected = [
        { type: 'Float64Array', byteOffset: 80, byteLength: 8000, bufferBytes: 256 * 1024, sum: 8000 * 2 },
        { type: 'DataView', byteOffset: 1024, byteLength: 4096, bufferBytes: 256 * 1024, sum: 4096 * 2 },
        {
          type: 'Uint8Array',
          byteOffset: 0,
          byteLength: 200 * 1024,
          bufferBytes: 200 * 1024,
          sum: 200 * 1024,
        },
        { type: 'Buffer', byteOffset: 0, byteLength: 100 * 1024, bufferBytes: 100 * 1024, sum: 300 * 1024 },
        {
          type: 'ArrayBuffer',
          byteOffset: 0,
          byteLength: 64 * 1024,
          bufferBytes: 64 * 1024,
          sum: 256 * 1024,
        },
        { type: 'Uint16Array', byteOffset: 0, byteLength: 6, bufferBytes: 6, sum: 1 + 2 + 3 },
      ];
      if (backend === 'threads') {
        // As a structured clone delivers them: a view keeps its offset over a copy of its whole buffer.
        assert.deepEqual(seen, expected);
        assert.equal(sharedBuffer, true, 'two views on one buffer arrive on one buffer');
      } else {
        // A child process's IPC delivers each view over a slice of one message buffer.
        const contents = ({ type, byteLength, sum }: (typeof expected)[number]) => ({
          type,
          byteLength,
          sum,
        });
        assert.deepEqual(seen.map(contents), expected.map(contents));
      }
      // The task overwrote what it got; the caller's own data is untouched and still usable.
      assert.equal(
        new Uint8Array(shared).every((x) => x === 2),
        true,
      );
      assert.equal(big.every((x) => x === 1) && big.byteLength === 200 * 1024, true);
      assert.equal(
        buffer.every((x) => x === 3),
        true,
      );
      assert.equal(
        new Uint8Array(raw).every((x) => x === 4),
        true,
      );
      assert.deepEqual([...small], [1, 2, 3]);
      // The same arguments again, in a map: each item arrives whole too.
      const mapped = await pool.map(w.sumBytes, [big, new Uint8Array(shared, 512, 70_000)]);
      assert.deepEqual(mapped, [200 * 1024, 70_000 * 2]);
    });

    it('calls whose big payloads were copied to a busy worker complete with the right results', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-long-'));
      const release = join(dir, 'release');
      const pool = make({ workers: 2 });
      try {
        const long = pool.submit(w.spinUntilFile, release);
        const copied = Array.from({ length: 40 }, (_, i) =>
          pool.submit(w.sumBytes, new Uint8Array(128 * 1024).fill(i)),
        );
        const quick = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.apply(m.square, i)));
        assert.deepEqual(
          quick,
          Array.from({ length: 20 }, (_, i) => i * i),
        );
        writeFileSync(release, '');
        await long.get();
        assert.deepEqual(
          await Promise.all(copied.map((job) => job.get())),
          Array.from({ length: 40 }, (_, i) => 128 * 1024 * i),
        );
      } finally {
        writeFileSync(release, '');
        await pool.terminate();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('with concurrency, each worker keeps several awaiting tasks in flight at once', {
      timeout: 30_000,
    }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taskmill-inflight-'));
      const release = join(dir, 'release');
      const pool = make({ workers: 2, concurrency: 8 });
      try {
        // 8 tasks that each wait for the release file, released only once all 8 report that they
        // are in flight: that happens only if each of the 2 workers runs 4 of them together
        // (one task per worker at a time would never get there, and the test would time out).
        let started = 0;
        pool.on('progress', () => {
          if (++started === 8) writeFileSync(release, '');
        });
        const most = await pool.map(
          w.countInFlight,
          Array.from({ length: 8 }, () => release),
          { chunkSize: 1 },
        );
        assert.equal(Math.max(...most), 4);
      } finally {
        await pool.terminate();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('an initializer that never finishes cannot hold calls past their timeout, nor past initializerTimeout', async () => {
      await using pool = make({ workers: 1, initializer: w.neverReady });
      await assert.rejects(pool.apply(m.square.with({ timeout: 50 }), 3), (error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        assert.match(error.message, /initializer had not finished/);
        return true;
      });
      await pool.terminate();
      await using bounded = make({ workers: 1, initializer: w.neverReady, initializerTimeout: 50 });
      await assert.rejects(
        bounded.apply(m.square, 3),
        /the initializer worker-tasks#neverReady did not finish within 50 ms/,
      );
      await bounded.terminate();
    });

    it('a result that cannot cross back fails its call with UncloneableResultError; the worker lives on', async () => {
      await using pool = make({ workers: 1 });
      const before = await pool.apply(w.pid);
      for (const kind of ['function', 'symbol', 'class', 'nested', 'proxy']) {
        await assert.rejects(pool.apply(w.returnUncloneable, kind), (error: unknown) => {
          assert.ok(error instanceof UncloneableResultError, `${kind}: ${String(error)}`);
          assert.equal(error.code, 'ERR_TASKMILL_UNCLONEABLE_RESULT');
          return true;
        });
      }
      const settled = await pool.mapSettled(w.returnUncloneable, ['function', 'proxy']);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['rejected', 'rejected'],
      );
      assert.equal(await pool.apply(w.pid), before);
    });

    it('a Proxy argument is refused at the call, naming it', () => {
      const pool = make();
      assert.throws(
        () => pool.submit(m.square, new Proxy({}, {}) as unknown as number),
        (error: unknown) =>
          error instanceof UncloneableArgumentError && /args\[0\].*Proxy/.test(error.message),
      );
    });

    it('Buffers arrive as Buffers and Uint8Arrays as Uint8Arrays, both ways, nested or not', async () => {
      await using pool = make();
      const result = await pool.apply(w.describeBinary, Buffer.from('a'), new Uint8Array(1), {
        data: Buffer.from('b'),
      } as unknown as Buffer);
      assert.deepEqual(result.seen, ['Buffer', 'Uint8Array', 'Buffer']);
      assert.ok(Buffer.isBuffer(result.back.buffer));
      assert.equal(result.back.buffer.toString(), 'back');
      assert.ok(!Buffer.isBuffer(result.back.bytes) && result.back.bytes instanceof Uint8Array);
      const mapped = await pool.map(w.describeBinary, [Buffer.from('x'), new Uint8Array(2)]);
      assert.deepEqual(
        mapped.map((r) => r.seen[0]),
        ['Buffer', 'Uint8Array'],
      );
    });

    it('runs a TypeScript task module from the compiled pool', async () => {
      await using pool = make();
      const ts = tasks<typeof import('../ts-fixtures/ts-tasks.js')>(new URL('ts-tasks.ts', tsFixtures));
      assert.equal(await pool.apply(ts.triple, 5), 15);
      assert.equal(await pool.apply(ts.describeShape, { kind: 'square', size: 3 }), 'square:3');
    });

    it('idle workers never keep the process alive: a program that does not close its pool still ends', async () => {
      const script = fileURLToPath(new URL('../fixtures/orphan-parent.js', import.meta.url));
      const { stdout } = await run(process.execPath, [script, backend, 'end']);
      assert.match(stdout, backend === 'threads' ? /^thread \d+\/\d+\n$/ : /^process \d+\n$/);
    });
  });
}
