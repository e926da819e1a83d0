/** The worker's allow-list: only exports of the modules it was started with. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('anything else is an unknown task, named in the error', async () => {
    const list = await TaskAllowList.load([{ module: TASKS }]);
    // The same list does resolve what it holds, so the refusals below are not a list refusing all.
    assert.equal(list.resolve('dist-tasks#square').name, 'square');
    // A class is exported as a function: it is allowed by name (the module's author exported it).
    assert.equal(list.resolve('dist-tasks#AlwaysFails').name, 'AlwaysFails');
    for (const [id, shown] of [
      ['dist-tasks#nope', '"dist-tasks#nope"'],
      ['x#square', '"x#square"'],
      ['#square', '"#square"'],
      ['dist-tasks', '"dist-tasks"'],
      ['dist-tasks#constructor', '"dist-tasks#constructor"'],
      [42, '"42"'],
      [null, '"null"'],
    ] as const) {
      assert.throws(
        () => list.resolve(id),
        (e: unknown) =>
          e instanceof UnknownTaskError &&
          e.message.startsWith(`unknown task ${shown}: this worker runs only the exports of dist-tasks`),
      );
    }
  });

  it('a worker without modules, or two modules under one id, does not start', async () => {
    await assert.rejects(TaskAllowList.load([]), /at least one task module/);
    const other = new URL('./fixtures/side-effect.js', import.meta.url);
    const dir = await mkdtemp(join(tmpdir(), 'taskmill-allow-'));
    const marker = join(dir, 'loaded');
    process.env.TASKMILL_SIDE_EFFECT_MARKER = marker;
    try {
      await assert.rejects(
        TaskAllowList.load([
          { id: 'same', module: TASKS },
          { id: 'same', module: other },
        ]),
        (e: unknown) =>
          e instanceof UnknownTaskError &&
          /two task modules share the id "same" \(.*dist-tasks\.js and .*side-effect\.js\)/.test(e.message),
      );
      // The clash is found before the second module is imported: its code never ran.
      await assert.rejects(stat(marker), { code: 'ENOENT' });
    } finally {
      process.env.TASKMILL_SIDE_EFFECT_MARKER = '';
      await rm(dir, { recursive: true, force: true });
    }
  });
});
