/** A flow's spec survives its trip through Redis: packed, JSON, unpacked, compiled to the same nodes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TaskRef, tasks } from '../core/task.js';
import { chain, chord, group } from './compose.js';
import type * as FlowTasks from './fixtures/flow-tasks.js';
import { compile } from './graph.js';
import { packSpec, unpackSpec } from './spec-codec.js';

const t = tasks<typeof FlowTasks>(new URL('./fixtures/flow-tasks.js', import.meta.url));

describe('spec codec', () => {
  it('round-trips arguments of every kind, options and the shape, compiling to the same nodes', () => {
    const odd = [Buffer.from('hi'), new Date(0), new Map([[1, 'a']]), 10n, -0, Number.NaN, undefined];
    const flow = chord(
      [
        chain(t.add.partial(1, 2), t.double.with({ timeout: 500 })),
        group(t.shout.partial('x', 'y').with({ attempts: 3, backoff: { type: 'fixed', delay: 5 } })),
        // Arguments the task would not take, to carry every kind through the codec.
        t.noop.partial(odd as never),
      ],
      t.sum as never,
    );
    const refs: TaskRef[] = [];
    const before = compile(flow.spec, refs);
    const text = JSON.stringify(packSpec(flow.spec));
    const back = unpackSpec(JSON.parse(text), (id) => refs.find((r) => r.id === id) as TaskRef);
    const after = compile(back, []);
    assert.equal(after.nodes.length, 5);
    assert.deepEqual(after.output, before.output);
    after.nodes.forEach((node, i) => {
      const was = before.nodes[i];
      assert.ok(was);
      assert.equal(node.task, was.task);
      assert.equal(node.path, was.path);
      assert.deepEqual(node.deps, was.deps);
      assert.deepEqual(node.input, was.input);
      assert.deepEqual(node.options, was.options);
    });
    assert.deepEqual(after.nodes[1]?.options, { timeout: 500 });
    assert.deepEqual(after.nodes[2]?.options, { attempts: 3, backoff: { type: 'fixed', delay: 5 } });
    const [carried] = (after.nodes[3]?.args ?? []) as unknown[][];
    assert.ok(Buffer.isBuffer(carried?.[0]) && carried[0].toString() === 'hi');
    assert.deepEqual(carried?.slice(1, 4), [new Date(0), new Map([[1, 'a']]), 10n]);
    assert.ok(Object.is(carried?.[4], -0));
    assert.ok(Number.isNaN(carried?.[5]));
    assert.equal(carried?.length, 7);
    // Plain arguments go as they are (no codec tags).
    assert.match(text, /\[0,"flow-tasks#add",\[1,2\]\]/);
  });
});
