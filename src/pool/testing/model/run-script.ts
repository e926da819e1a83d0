/**
 * Plays a script (script.ts) on a real pool and checks the contract against a model of it:
 * - every promise settles (within a deadline), and no call is left pending;
 * - each call's outcome is what a plain sequential run of its task gives, except where the
 *   script allows otherwise (terminate() may abort what had not finished; a crash may take the
 *   calls its worker was running with it);
 * - calls made after close() or terminate() are refused with PoolClosedError;
 * - join() never resolves while a call made before it is pending;
 * - nothing starts after terminate() has resolved;
 * - no worker or handle outlives the pool.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../../../core/backend.js';
import { tasks } from '../../../core/task.js';
import type * as ModelTasks from '../../fixtures/model-tasks.js';
import { Pool, type PoolOptions } from '../../pool.js';
import { describeStep, type Step, type TaskKind } from './script.js';

const t = tasks<typeof ModelTasks>(new URL('../../fixtures/model-tasks.js', import.meta.url));

/** How long a whole script may take to settle before the run counts as a hang. */
const SETTLE_DEADLINE_MS = 60_000;

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

interface CallRecord {
  readonly step: Step;
  readonly at: number;
  readonly afterClose: boolean;
  /** A terminate() step came after this call was made. */
  terminateAfter: boolean;
  settled: boolean;
  outcome: Outcome | undefined;
  /** imap family: the values the consumer took. */
  readonly taken: unknown[];
  promise: Promise<void>;
}

export interface ScriptReport {
  readonly violations: string[];
  readonly steps: string[];
}

export async function runScript(
  backend: BackendName,
  steps: readonly Step[],
  extra: Partial<PoolOptions> = {},
): Promise<ScriptReport> {
  const dir = mkdtempSync(join(tmpdir(), 'taskmill-model-'));
  const log = join(dir, 'starts.log');
  writeFileSync(log, '');
  // Workers made from here on (threads copy the environment, processes inherit it) log there.
  process.env.TASKMILL_MODEL_LOG = log;
  const starts = () => readFileSync(log, 'utf8').length / 2;
  const violations: string[] = [];
  // The first worker thread opens this process's stdout and stderr (its output goes there):
  // open them first, so the baseline has them.
  void process.stdout;
  void process.stderr;
  const baseline = countHandles();
  const pool = new Pool({ backend, workers: 2, concurrency: 4, ...extra });
  const records: CallRecord[] = [];
  let controller = new AbortController();
  const controllers = [controller];
  let closed = false;
  let terminated: Promise<void> | undefined;
  let startsAtTerminate: number | undefined;
  const crashes = steps.some((s) => (s.kind === 'apply' || s.kind === 'submit') && s.task === 'crash');
  const joins: Promise<void>[] = [];

  try {
    for (let at = 0; at < steps.length; at++) {
      const s = steps[at] as Step;
      switch (s.kind) {
        case 'tick':
          await new Promise((resolve) => setImmediate(resolve));
          break;
        case 'abort':
          controller.abort(new Error('the script aborted'));
          controller = new AbortController();
          controllers.push(controller);
          break;
        case 'close':
          pool.close();
          closed = true;
          break;
        case 'terminate': {
          closed = true;
          for (const record of records) record.terminateAfter = true;
          const done = pool.terminate();
          terminated ??= done.then(() => {
            startsAtTerminate = starts();
          });
          break;
        }
        case 'join': {
          const before = records.filter((r) => r.step.kind !== 'imap' && r.step.kind !== 'imapUnordered');
          joins.push(
            pool.join().then(
              () => {
                const early = before.filter((r) => !r.settled);
                if (early.length > 0) {
                  violations.push(
                    `join() at step ${at} resolved while ${early.length} earlier call(s) were pending: ${early
                      .map((r) => `${r.at}:${describeStep(r.step)}`)
                      .join('; ')}`,
                  );
                }
              },
              (error: unknown) => {
                violations.push(`join() at step ${at} rejected: ${String(error)}`);
              },
            ),
          );
          break;
        }
        default:
          records.push(issue(pool, s, at, closed, controller.signal));
      }
    }
    for (const each of controllers) each.abort(new Error('the script ended'));
    if (!closed) pool.close();
    const everything = Promise.all([pool.join(), ...joins, terminated, ...records.map((r) => r.promise)]);
    const finished = await within(everything, SETTLE_DEADLINE_MS);
    if (!finished) {
      const pending = records.filter((r) => !r.settled);
      violations.push(
        `not settled within ${SETTLE_DEADLINE_MS} ms: ${pending.length} call(s): ${pending
          .map((r) => `${r.at}:${describeStep(r.step)}`)
          .join('; ')}; pool.pending = ${pool.pending}`,
      );
      await pool.terminate();
    }
    for (const record of records) {
      const problem = check(record, crashes);
      if (problem !== undefined)
        violations.push(`step ${record.at} ${describeStep(record.step)}: ${problem}`);
    }
    if (startsAtTerminate !== undefined) {
      await new Promise((resolve) => setImmediate(resolve));
      const later = starts();
      if (later !== startsAtTerminate) {
        violations.push(`${later - startsAtTerminate} task(s) started after terminate() had resolved`);
      }
    }
    if (pool.pending !== 0) violations.push(`pool.pending is ${pool.pending} once everything settled`);
    const leftover = await handlesBackTo(baseline);
    if (leftover !== undefined) violations.push(`handles left after the pool ended: ${leftover}`);
  } finally {
    await pool.terminate().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  return { violations, steps: steps.map(describeStep) };
}

/** Makes the call a step describes; its outcome is recorded as it settles. */
function issue(pool: Pool, s: Step, at: number, afterClose: boolean, signal: AbortSignal): CallRecord {
  const record: CallRecord = {
    step: s,
    at,
    afterClose,
    terminateAfter: false,
    settled: false,
    outcome: undefined,
    taken: [],
    promise: Promise.resolve(),
  };
  const settle = (outcome: Outcome) => {
    record.settled = true;
    record.outcome = outcome;
  };
  const follow = (promise: Promise<unknown>) =>
    promise.then(
      (value) => settle({ ok: true, value }),
      (error: unknown) => settle({ ok: false, error }),
    );
  try {
    switch (s.kind) {
      case 'apply':
      case 'submit': {
        const task =
          s.task === 'hang'
            ? s.timeout !== undefined
              ? t.hang.with({ timeout: s.timeout })
              : t.hang.with({ signal })
            : t[s.task];
        const promise =
          s.kind === 'apply'
            ? pool.apply(task as typeof t.quick, s.n)
            : pool.submit(task as typeof t.quick, s.n).get();
        record.promise = follow(promise);
        break;
      }
      case 'map':
      case 'mapSettled': {
        const source = s.lazy ? lazy(s.items) : s.items;
        const promise = s.kind === 'map' ? pool.map(t[s.task], source) : pool.mapSettled(t[s.task], source);
        record.promise = follow(promise);
        break;
      }
      case 'imap':
      case 'imapUnordered': {
        const iterator =
          s.kind === 'imap' ? pool.imap(t[s.task], s.items) : pool.imapUnordered(t[s.task], s.items);
        record.promise = follow(consume(iterator, s.take, s.slowConsumer, record.taken));
        break;
      }
      default:
        break;
    }
  } catch (error) {
    settle({ ok: false, error });
  }
  return record;
}

async function* lazy<T>(values: readonly T[]): AsyncGenerator<T> {
  for (const value of values) {
    await Promise.resolve();
    yield value;
  }
}

async function consume(
  iterator: AsyncIterableIterator<unknown>,
  take: number,
  slow: boolean,
  taken: unknown[],
): Promise<void> {
  if (take === 0) {
    await iterator.return?.();
    return;
  }
  for await (const value of iterator) {
    taken.push(value);
    if (slow) await new Promise((resolve) => setImmediate(resolve));
    if (taken.length >= take) break;
  }
}

/** What a plain, sequential run of the task gives. */
function ideal(task: TaskKind, n: number): Outcome {
  switch (task) {
    case 'quick':
      return { ok: true, value: n * n };
    case 'slow':
      return { ok: true, value: n * 2 };
    case 'failOdd':
      return n % 2 === 1 ? { ok: false, error: `odd input ${n}` } : { ok: true, value: n };
    default:
      return { ok: false, error: task };
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/** Why a call's outcome breaks the contract, or undefined when it is one the model allows. */
function check(record: CallRecord, crashes: boolean): string | undefined {
  const { step: s, outcome } = record;
  if (!record.settled || outcome === undefined) return 'never settled';
  const error = outcome.ok ? undefined : outcome.error;
  if (record.afterClose) {
    return codeOf(error) === 'ERR_TASKMILL_POOL_CLOSED'
      ? undefined
      : `made after close()/terminate(), it gave ${show(outcome)} instead of PoolClosedError`;
  }
  // Outcomes the script allows in place of the ideal one.
  if (error !== undefined) {
    if (record.terminateAfter && codeOf(error) === 'ERR_TASKMILL_ABORTED') return undefined;
    if (crashes && codeOf(error) === 'ERR_TASKMILL_WORKER_CRASHED') return undefined;
  }
  switch (s.kind) {
    case 'apply':
    case 'submit': {
      if (s.task === 'hang') {
        const want = s.timeout !== undefined ? 'ERR_TASKMILL_TIMEOUT' : 'ERR_TASKMILL_ABORTED';
        return codeOf(error) === want ? undefined : `gave ${show(outcome)} instead of ${want}`;
      }
      if (s.task === 'crash') {
        return codeOf(error) === 'ERR_TASKMILL_WORKER_CRASHED'
          ? undefined
          : `gave ${show(outcome)} instead of WorkerCrashedError`;
      }
      return same(outcome, ideal(s.task, s.n));
    }
    case 'map': {
      const odd = s.task === 'failOdd' ? s.items.filter((n) => n % 2 === 1) : [];
      if (odd.length > 0) {
        const match = /^odd input (\d+)$/.exec(error instanceof Error ? error.message : '');
        return match !== null && odd.includes(Number(match[1]))
          ? undefined
          : `gave ${show(outcome)} instead of the error of one of its odd items`;
      }
      return same(outcome, {
        ok: true,
        value: s.items.map((n) => (ideal(s.task, n) as { value: unknown }).value),
      });
    }
    case 'mapSettled': {
      if (!outcome.ok) return `mapSettled rejected: ${show(outcome)}`;
      const settled = outcome.value as PromiseSettledResult<unknown>[];
      if (settled.length !== s.items.length)
        return `gave ${settled.length} outcomes for ${s.items.length} items`;
      for (let i = 0; i < settled.length; i++) {
        const got = settled[i] as PromiseSettledResult<unknown>;
        const gotOutcome: Outcome =
          got.status === 'fulfilled' ? { ok: true, value: got.value } : { ok: false, error: got.reason };
        if (!gotOutcome.ok) {
          if (record.terminateAfter && codeOf(gotOutcome.error) === 'ERR_TASKMILL_ABORTED') continue;
          if (crashes && codeOf(gotOutcome.error) === 'ERR_TASKMILL_WORKER_CRASHED') continue;
        }
        const problem = same(gotOutcome, ideal(s.task, s.items[i] as number));
        if (problem !== undefined) return `item ${i}: ${problem}`;
      }
      return undefined;
    }
    case 'imap':
    case 'imapUnordered': {
      const expected = s.items.map((n) => ideal(s.task, n));
      const firstFailure = expected.findIndex((o) => !o.ok);
      const reachable = firstFailure < 0 ? expected.length : firstFailure;
      if (outcome.ok) {
        // The consumer took what it asked for, or everything there was.
        const want = Math.min(s.take, s.kind === 'imap' ? reachable : expected.length);
        if (firstFailure < 0 && record.taken.length !== Math.min(s.take, expected.length)) {
          return `the consumer got ${record.taken.length} results, wanted ${Math.min(s.take, expected.length)}`;
        }
        if (record.taken.length > Math.max(want, s.kind === 'imap' ? 0 : want)) {
          return `the consumer got ${record.taken.length} results, more than ${want}`;
        }
      } else if (!(error instanceof Error && /^odd input \d+$/.test(error.message) && firstFailure >= 0)) {
        return `iteration failed with ${show(outcome)}`;
      }
      if (s.kind === 'imap') {
        for (let i = 0; i < record.taken.length; i++) {
          const want = expected[i];
          if (want === undefined || !want.ok || want.value !== record.taken[i]) {
            return `result ${i} was ${String(record.taken[i])}, wanted ${want?.ok ? String(want.value) : 'none'}`;
          }
        }
        return undefined;
      }
      const pool = expected.filter((o) => o.ok).map((o) => (o as { value: unknown }).value);
      for (const value of record.taken) {
        const at = pool.indexOf(value);
        if (at < 0) return `result ${String(value)} is not one of the inputs' results`;
        pool.splice(at, 1);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function same(got: Outcome, want: Outcome): string | undefined {
  if (want.ok) {
    if (got.ok && JSON.stringify(got.value) === JSON.stringify(want.value)) return undefined;
    return `gave ${show(got)}, a sequential run gives ${JSON.stringify(want.value)}`;
  }
  if (!got.ok && got.error instanceof Error && got.error.message === want.error) return undefined;
  return `gave ${show(got)}, a sequential run fails with "${String(want.error)}"`;
}

function show(outcome: Outcome): string {
  if (outcome.ok) return `value ${JSON.stringify(outcome.value)}`;
  const error = outcome.error as { name?: string; code?: string; message?: string };
  return `${error?.name ?? 'error'}${error?.code ? ` (${error.code})` : ''}: ${error?.message ?? String(error)}`;
}

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Handles of the kinds a pool makes (threads, processes, pipes), by kind. */
function countHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'ProcessWrap' || kind === 'PipeWrap' || kind === 'MessagePort' || kind === 'Worker')
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** Waits (up to a deadline) for those handles to be back to `baseline`; says what is left if not. */
async function handlesBackTo(baseline: Map<string, number>): Promise<string | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = countHandles();
    const extra = [...now].filter(([kind, count]) => count > (baseline.get(kind) ?? 0));
    if (extra.length === 0) return undefined;
    if (Date.now() > deadline) return extra.map(([kind, count]) => `${kind} x${count}`).join(', ');
    // A closing handle goes within a few turns of the loop.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
