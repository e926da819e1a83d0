/**
 * The seeds' I/O-vs-CPU comparison: which execution model wins which kind of work.
 * The same two jobs run on every backend with the same code:
 * - I/O-like: 8 "downloads" that each wait 50 ms (a timer stands in for the network);
 * - CPU: 4 slow fib(n) calls per core, n sized here so that each takes about 150 ms on this
 *   machine: long enough that the workers' real speed-up shows, not their overhead (a job of a
 *   few ms in all would make async or sequential look faster at CPU work, which they are not).
 * Waiting work wins on anything that overlaps the waits (async needs no workers at all);
 * CPU work wins only where there are several cores: threads or processes.
 * Each pool is warmed up first, so a worker's start-up is not counted. Timings vary by machine
 * and load; the results are checked every time.
 *
 * Run: node dist-examples/io-vs-cpu.js
 */
import { availableParallelism } from 'node:os';
import { type BackendName, Pool, tasks } from 'taskmill';
import type * as WorkTasks from './tasks/work-tasks.js';

const t = tasks<typeof WorkTasks>(new URL('./tasks/work-tasks.js', import.meta.url));
const BACKENDS: BackendName[] = ['sequential', 'async', 'threads', 'processes'];
const COUNT = 8;
const WAIT_MS = 50;
const CPU_CALL_MS = 150;
const cores = availableParallelism();

/** The smallest n whose fib(n) takes at least CPU_CALL_MS here (each step up costs ~1.6x). */
function sizeCpuJob(): number {
  for (let n = 20; ; n++) {
    const start = performance.now();
    fibHere(n);
    if (performance.now() - start >= CPU_CALL_MS || n >= 45) return n;
  }
}

function fibHere(n: number): number {
  return n < 2 ? n : fibHere(n - 1) + fibHere(n - 2);
}

const FIB_N = sizeCpuJob();
const pages = Array.from({ length: COUNT }, (_, i) => i);
const fibInputs = Array.from({ length: 4 * cores }, () => FIB_N);
const fibExpected = (() => {
  let [a, b] = [0, 1];
  for (let i = 0; i < FIB_N; i++) [a, b] = [b, a + b];
  return a;
})();

interface Row {
  readonly work: 'io' | 'cpu';
  readonly backend: BackendName;
  readonly seconds: number;
  readonly ok: boolean;
}

async function measure(backend: BackendName): Promise<Row[]> {
  await using pool = new Pool({ backend, workers: cores, concurrency: COUNT });
  await pool.map(
    t.fib,
    Array.from({ length: cores * 2 }, () => 1),
  ); // warm-up: workers started, module loaded
  let start = performance.now();
  const downloaded = await pool.starmap(
    t.fakeDownload,
    pages.map((page) => [page, WAIT_MS] as [number, number]),
  );
  const ioSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const fibs = await pool.map(t.fib, fibInputs);
  const cpuSeconds = (performance.now() - start) / 1000;
  return [
    { work: 'io', backend, seconds: ioSeconds, ok: downloaded.every((page, i) => page === `page ${i}`) },
    { work: 'cpu', backend, seconds: cpuSeconds, ok: fibs.every((value) => value === fibExpected) },
  ];
}

const rows: Row[] = [];
for (const backend of BACKENDS) rows.push(...(await measure(backend)));

console.log(
  `${COUNT} waits of ${WAIT_MS} ms (io) and ${fibInputs.length} x fib(${FIB_N}), ~${CPU_CALL_MS} ms each (cpu); ${cores} cores`,
);
console.log('work  backend     seconds  speed-up  results');
for (const work of ['io', 'cpu'] as const) {
  const mine = rows.filter((r) => r.work === work);
  const baseline = mine.find((r) => r.backend === 'sequential')?.seconds ?? 1;
  for (const r of mine) {
    const speedUp = `${(baseline / r.seconds).toFixed(2)}x`;
    console.log(
      `${work.padEnd(5)} ${r.backend.padEnd(11)} ${r.seconds.toFixed(3).padStart(7)}  ${speedUp.padStart(8)}  ${r.ok ? 'ok' : 'WRONG'}`,
    );
  }
}
for (const work of ['io', 'cpu'] as const) {
  const mine = rows.filter((r) => r.work === work).sort((a, b) => a.seconds - b.seconds);
  const best = mine[0] as Row;
  const runnerUp = mine[1] as Row;
  const kind = work === 'io' ? 'I/O-bound work (waiting)' : 'CPU-bound work';
  // A winner by less than 20% is noise (another program on the cores, a timer's slack).
  if (runnerUp.seconds < best.seconds * 1.2) {
    const tied = mine.filter((r) => r.seconds < best.seconds * 1.2).map((r) => r.backend);
    const why =
      work === 'cpu' && cores > 1 ? ': the other cores look busy (run it again on an idle machine)' : '';
    console.log(`${kind}: no clear winner in this run (${tied.join(', ')} within 20%)${why}`);
  } else {
    console.log(`${kind}: ${best.backend} won this run (${best.seconds.toFixed(3)} s)`);
  }
}
