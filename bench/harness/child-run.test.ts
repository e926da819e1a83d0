import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runInChild } from './child-run.js';

const moduleUrl = new URL('./fixtures/fixture-scenario.js', import.meta.url).href;
const run = (contenderId: string, timeoutMs = 30_000) =>
  runInChild({ moduleUrl, scenarioId: 'fixture', contenderId, params: { value: 42 }, timeoutMs });

/** Running (a zombie waiting for its reaper counts as ended). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('runInChild: one contender run in a fresh child process', () => {
  it('returns what the contender measured, with the peak RSS of its process tree', async () => {
    const record = await run('ok');
    assert.equal(record.error, undefined);
    assert.equal(record.value, 42);
    assert.equal(record.note, 'fine');
    assert.ok((record.peakRssMiB ?? 0) > 1, `peak RSS ${record.peakRssMiB}`);
  });

  it('turns a thrown error into one line naming its class', async () => {
    const record = await run('throws');
    assert.equal(record.value, undefined);
    assert.equal(record.error, 'RangeError: the fixture failed on purpose');
  });

  it('reports a child that exits without a result, with its last error line', async () => {
    const record = await run('exits');
    assert.match(record.error ?? '', /exited \(code 3\) without a result: Error: fixture is leaving now/);
  });

  it('keeps the figure of a child that lingers after reporting, ends it and says so', async () => {
    const record = await run('lingers');
    assert.equal(record.value, 1);
    assert.match(record.note ?? '', /did not exit by itself/);
  });

  it('ends processes a child left behind, and says so', async () => {
    const record = await run('leaves-child');
    assert.equal(record.value, 2);
    assert.match(record.note ?? '', /left processes running/);
    const orphan = Number(/orphan (\d+)/.exec(record.note ?? '')?.[1]);
    assert.ok(orphan > 0);
    // SIGKILL was sent to the group before the record was returned; wait for the kernel to reap it.
    const deadline = Date.now() + 10_000;
    while (isAlive(orphan)) {
      if (Date.now() > deadline)
        throw new Error(`the orphan ${orphan} was still alive 10 s after its group was killed`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  it('stops a run that passes its time limit', async () => {
    const record = await run('hangs', 1_000);
    assert.equal(record.error, 'timed out after 1 s');
  });

  it('names a contender that does not exist', async () => {
    const record = await run('nobody');
    assert.match(record.error ?? '', /no contender fixture\/nobody/);
  });
});
