/**
 * The model-based test of the pool contract: random scripts of calls (apply, submit, map,
 * mapSettled, imap, imapUnordered), lifecycle steps (close, join, terminate), cancellation and
 * turns of the event loop, over quick, slow, failing, hanging and crashing tasks. This file
 * describes a script and generates one with fast-check; run-script.ts plays it on a real pool.
 */
import fc from 'fast-check';
import type { BackendName } from '../../../core/backend.js';

/** What a task does: see fixtures/model-tasks.ts. */
export type TaskKind = 'quick' | 'slow' | 'failOdd' | 'hang' | 'crash';

export type Step =
  | {
      readonly kind: 'apply' | 'submit';
      readonly task: TaskKind;
      readonly n: number;
      /** hang only: a timeout (it then fails with TaskTimeoutError) or the script's signal. */
      readonly timeout?: number;
    }
  | {
      readonly kind: 'map' | 'mapSettled';
      readonly task: 'quick' | 'slow' | 'failOdd';
      readonly items: readonly number[];
      readonly lazy: boolean;
    }
  | {
      readonly kind: 'imap' | 'imapUnordered';
      readonly task: 'quick' | 'slow' | 'failOdd';
      readonly items: readonly number[];
      /** How many results the consumer takes before it stops (all when larger). */
      readonly take: number;
      readonly slowConsumer: boolean;
    }
  | { readonly kind: 'close' | 'join' | 'terminate' | 'abort' | 'tick' };

const number = fc.integer({ min: 0, max: 20 });
const items = fc.array(number, { maxLength: 60 });
const mapTask = fc.constantFrom('quick' as const, 'slow' as const, 'failOdd' as const);

function singleCall(backend: BackendName): fc.Arbitrary<Step> {
  const kinds: TaskKind[] = ['quick', 'slow', 'failOdd', 'hang'];
  // A crash ends a worker; on the in-process backends it would end the test itself.
  if (backend === 'threads' || backend === 'processes') kinds.push('crash');
  return fc
    .record({
      kind: fc.constantFrom('apply' as const, 'submit' as const),
      task: fc.constantFrom(...kinds),
      n: number,
      timed: fc.boolean(),
    })
    .map(({ kind, task, n, timed }) =>
      task === 'hang' && timed ? { kind, task, n, timeout: 5 } : { kind, task, n },
    );
}

/** One step of a script; calls are the most frequent. */
export function step(backend: BackendName): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 6, arbitrary: singleCall(backend) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constantFrom('map' as const, 'mapSettled' as const),
        task: mapTask,
        items,
        lazy: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constantFrom('imap' as const, 'imapUnordered' as const),
        task: mapTask,
        items,
        take: fc.integer({ min: 0, max: 70 }),
        slowConsumer: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ kind: 'tick' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'join' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'terminate' as const }) },
  );
}

export function script(backend: BackendName): fc.Arbitrary<Step[]> {
  return fc.array(step(backend), { minLength: 1, maxLength: 25 });
}

/** A step as one short line, for failure reports. */
export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'apply':
    case 'submit':
      return `${s.kind}(${s.task}, ${s.n}${s.timeout !== undefined ? `, timeout ${s.timeout}` : ''})`;
    case 'map':
    case 'mapSettled':
      return `${s.kind}(${s.task}, [${s.items.join(',')}]${s.lazy ? ', lazy' : ''})`;
    case 'imap':
    case 'imapUnordered':
      return `${s.kind}(${s.task}, [${s.items.join(',')}], take ${s.take}${s.slowConsumer ? ', slow' : ''})`;
    default:
      return s.kind;
  }
}
