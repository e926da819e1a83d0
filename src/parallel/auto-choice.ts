/**
 * `backend: 'auto'`: measure the first tasks, then choose. I/O-bound work (a task that mostly
 * waits) runs on the event loop with high concurrency; CPU-bound work runs on worker threads,
 * one per core. The probe runs a few items at once in this thread and measures how busy the
 * event loop was (its utilization: the share of wall time spent running code rather than
 * waiting for I/O) and the CPU time used against the wall time. Waiting tasks overlap and
 * leave the loop idle; busy ones keep it running. Utilization decides, because it stays
 * right on a loaded machine, where a busy task gets less CPU than wall time.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BackendName } from '../core/backend.js';
import { isTaskRef, type Task } from '../core/task.js';

export interface AutoChoice {
  readonly backend: BackendName;
  /** Workers (threads) or concurrency (async) chosen. */
  readonly jobs: number;
  /** One sentence: what was measured and why this backend. */
  readonly reason: string;
  /** CPU time divided by wall time during the probe (0..1 for one thread). */
  readonly cpuRatio: number;
  /** Event-loop utilization during the probe (0..1): share of time spent running code. */
  readonly loopUtilization: number;
  /** Mean wall time of one probed task, in ms. */
  readonly perTaskMs: number;
  /** Largest event-loop delay seen during the probe, in ms. */
  readonly loopDelayMs: number;
}

/**
 * Work counts as CPU-bound when the event loop was mostly busy AND the process used a fair
 * share of a core. The CPU bar is low because on a loaded machine a busy task gets less CPU
 * than wall time; it filters out loops made busy by something else (a collection, a teardown).
 */
const CPU_BOUND_UTILIZATION = 0.5;
const CPU_BOUND_MIN_CPU = 0.1;
/** A loop this busy is CPU-bound whatever CPU share the machine's load left it. */
const SURELY_CPU_BOUND_UTILIZATION = 0.9;
/** Below this much estimated total work, starting workers costs more than it saves. */
const TINY_TOTAL_MS = 15;

export interface ProbeOutcome<R> {
  readonly settled: PromiseSettledResult<R>[];
  readonly choice: AutoChoice;
}

/**
 * Runs `items` (the probe) concurrently in this thread and decides where the rest should run.
 * `remaining` is how many items will follow (undefined when unknown).
 */
export async function probeAndChoose<A, R>(
  task: Task<[A], R>,
  items: readonly A[],
  remaining: number | undefined,
  jobs: number | undefined,
  run: (item: A) => Promise<R>,
  warmUp: () => Promise<unknown>,
): Promise<ProbeOutcome<R>> {
  // Unmeasured first: a call that does nothing warms the pool's own code, so that compiling it
  // in a fresh process does not pass for the tasks' CPU use.
  await warmUp();
  const measuredItems = items;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const settled = await Promise.allSettled(measuredItems.map((item) => run(item)));
  const wallMs = Math.max(performance.now() - started, 0.001);
  const cpu = process.cpuUsage(cpuBefore);
  const loopUtilization = performance.eventLoopUtilization(eluBefore).utilization;
  delay.disable();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const cpuRatio = Math.min(1, cpuMs / wallMs);
  const perTaskMs = wallMs / Math.max(1, measuredItems.length);
  const loopDelayMs = delay.max / 1e6;
  const cores = availableParallelism();
  const measured = `probe of ${measuredItems.length} task(s): event loop ${(loopUtilization * 100).toFixed(0)}% busy, ${(cpuRatio * 100).toFixed(0)}% CPU over ${wallMs.toFixed(1)} ms wall, loop delay up to ${loopDelayMs.toFixed(1)} ms`;
  const common = { cpuRatio, loopUtilization, perTaskMs, loopDelayMs };

  const cpuBound =
    loopUtilization >= SURELY_CPU_BOUND_UTILIZATION ||
    (loopUtilization >= CPU_BOUND_UTILIZATION && cpuRatio >= CPU_BOUND_MIN_CPU);
  if (!cpuBound) {
    const concurrency = jobs ?? 64;
    return {
      settled,
      choice: {
        backend: 'async',
        jobs: concurrency,
        reason: `I/O-bound (${measured}): tasks mostly wait, so they overlap on the event loop, ${concurrency} at a time`,
        ...common,
      },
    };
  }
  if (!isTaskRef(task)) {
    return {
      settled,
      choice: {
        backend: 'sequential',
        jobs: 1,
        reason: `CPU-bound (${measured}), but the task is a plain function, which cannot move to worker threads: export it from a module and pass its task reference to use ${cores} cores`,
        ...common,
      },
    };
  }
  if (remaining !== undefined && remaining * perTaskMs < TINY_TOTAL_MS) {
    return {
      settled,
      choice: {
        backend: 'sequential',
        jobs: 1,
        reason: `CPU-bound but tiny (${measured}; about ${(remaining * perTaskMs).toFixed(1)} ms of work left): starting workers would cost more than it saves`,
        ...common,
      },
    };
  }
  const workers = jobs ?? cores;
  return {
    settled,
    choice: {
      backend: 'threads',
      jobs: workers,
      reason: `CPU-bound (${measured}): only more cores help, so ${workers} worker thread(s), one per core`,
      ...common,
    },
  };
}
