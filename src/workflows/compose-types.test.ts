/**
 * Flows are typed end to end. This file is compiled by `tsc` in the build: every
 * `@ts-expect-error` below must be an error, or the build fails (a chain whose step does not
 * take the previous step's output, a partial with arguments of the wrong type, a flow that
 * still needs an input given to pool.run). The tests check the shapes the steps compile to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tasks } from '../core/task.js';
import type { Pool } from '../pool/pool.js';
import { chain, chord, group } from './compose.js';
import type * as FlowTasks from './fixtures/flow-tasks.js';
import type { Flow } from './spec.js';

const t = tasks<typeof FlowTasks>(new URL('./fixtures/flow-tasks.js', import.meta.url));

/** Assigning to these checks the inferred types (a mismatch fails the build). */
function expectType<T>(_value: T): void {}

/** Never called: only compiled. */
function mistakes(pool: Pool): void {
  // @ts-expect-error toText gives a string, double takes a number
  chain(t.add.partial(1, 2), t.toText, t.double);
  // @ts-expect-error add needs two arguments, the previous step gives one
  chain(t.add.partial(1, 2), t.add);
  // @ts-expect-error shout's first argument is a string
  t.shout.partial(1);
  // @ts-expect-error add takes two arguments, not three
  t.add.partial(1, 2, 3);
  // @ts-expect-error sum takes numbers; the header gives strings
  chord([t.toText.partial(1), t.toText.partial(2)], t.sum);
  // @ts-expect-error a flow that still takes an input cannot run on its own
  void pool.run(chain(t.double, t.toText));
  // @ts-expect-error a group's outputs are a list: toText takes one number
  chain(group(t.add.partial(1, 1), t.add.partial(2, 2)), t.toText);
}

describe('flow types', () => {
  it('infer every step’s output, through partial, chain, group and chord', () => {
    const c = chain(t.add.partial(1, 2), t.double, t.toText, t.shout.partial('> '));
    expectType<Flow<[], string>>(c);
    const inner = chain(t.double, t.add.partial(1));
    expectType<Flow<[number], number>>(inner);
    const list = group([1, 2, 3].map((n) => chain(t.add.partial(n, 1), inner)));
    expectType<Flow<[], number[]>>(list);
    const tuple = group(t.add.partial(1, 2), chain(t.add.partial(1, 1), t.toText));
    expectType<Flow<[], [number, string]>>(tuple);
    const fanOut = chain(t.add.partial(1, 2), group(t.double, t.toText));
    expectType<Flow<[], [number, string]>>(fanOut);
    const summed = chord(list, t.sum);
    expectType<Flow<[], number>>(summed);
    expectType<Flow<[], string>>(chord([t.add.partial(1, 2)], chain(t.sum, t.toText)));
    assert.equal(typeof mistakes, 'function');
  });

  it('compile to the steps they name: partial binds the first arguments', () => {
    const step = t.add.partial(1);
    assert.equal(step.kind, 'taskmill.flow');
    assert.deepEqual(step.spec.type === 'task' && step.spec.args, [1]);
    const flow = chord([t.add.partial(1, 2)], t.sum);
    assert.equal(flow.spec.type, 'chain');
    assert.equal(flow.spec.type === 'chain' && flow.spec.steps[0]?.type, 'group');
    assert.throws(() => chain({} as never), /chain\(\) step 0 is not a step/);
  });
});
