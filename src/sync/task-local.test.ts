import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Pool } from '../pool/pool.js';
import { TaskLocal } from './task-local.js';

describe('TaskLocal', () => {
  it('gives each of many concurrent async tasks its own value across awaits', async () => {
    const label = new TaskLocal<string>('none');
    let running = 0;
    let mostAtOnce = 0;
    const readDeep = async (): Promise<string | undefined> => {
      await nextTurn();
      return label.get(); // no argument passed down: the value comes from the task's context
    };
    const task = async (n: number): Promise<string[]> => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      const seen: string[] = [];
      label.set(`task ${n}`);
      for (let step = 0; step < 5; step++) {
        await nextTurn(); // the other tasks run and set their own values here
        seen.push((await readDeep()) ?? 'undefined');
      }
      running--;
      return seen;
    };
    await using pool = new Pool({ backend: 'async', concurrency: 20 });
    const results = await pool.map(
      task,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.ok(mostAtOnce > 1, 'tasks really ran at the same time');
    for (const [n, seen] of results.entries()) assert.deepEqual(seen, Array(5).fill(`task ${n}`));
    assert.equal(label.get(), 'none', 'outside a task: the default');
  });

  it('a task that sets nothing sees the default; set() outside a task is refused', async () => {
    const local = new TaskLocal<number>(7);
    await using pool = new Pool({ backend: 'async' });
    assert.equal(await pool.apply(async () => local.get()), 7);
    assert.throws(() => local.set(1), { code: 'ERR_TASKMILL_INVALID_ARGUMENT' });
  });
});
