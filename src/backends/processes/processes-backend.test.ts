import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool, WorkerCrashedError } from '../../index.js';
import { describePoolContract, mathTasks } from '../../pool/testing/pool-contract.js';
import { describeWorkerBackend, workerTasks } from '../worker-runtime/testing/worker-backend-behaviour.js';
import { inheritedExecArgv } from './exec-argv.js';

describePoolContract('processes');
describeWorkerBackend('processes');

const run = promisify(execFile);

/** Whether a process is gone (a zombie waiting to be reaped counts as gone). */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Resolves once `pid` is gone; rejects if it is still there after `patience` ms (a generous bound, not a timing). */
async function waitUntilGone(pid: number, patience = 10_000): Promise<void> {
  const deadline = Date.now() + patience;
  while (!isGone(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still running`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('processes backend: child processes', () => {
  it('SIGKILL of a child fails the task it held; the pool replaces it', async () => {
    await using pool = new Pool({ backend: 'processes', workers: 2 });
    const job = pool.submit(workerTasks.announceThenHang);
    const childPid = await new Promise<number>((resolve) =>
      job.onProgress((update) => resolve(update.data as number)),
    );
    process.kill(childPid, 'SIGKILL');
    const error = await job.get().catch((e: unknown) => e);
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.equal(error.signal, 'SIGKILL');
    assert.deepEqual(error.tasks, ['worker-tasks#announceThenHang']);
    assert.deepEqual(await pool.map(mathTasks.square, [1, 2, 3]), [1, 4, 9]);
  });

  it('an idle child ends after idleTimeout; the next task starts a new one', async () => {
    await using pool = new Pool({ backend: 'processes', workers: 1, idleTimeout: 0 });
    const first = await pool.apply(workerTasks.pid);
    await waitUntilGone(first);
    const second = await pool.apply(workerTasks.pid);
    assert.notEqual(second, first);
  });

  for (const how of ['end', 'exit']) {
    it(`leaves no child behind when its owner ends without closing the pool (${how})`, async () => {
      const script = fileURLToPath(new URL('../worker-runtime/fixtures/orphan-parent.js', import.meta.url));
      const { stdout } = await run(process.execPath, [script, 'processes', how]);
      const match = /^process (\d+)$/.exec(stdout.trim());
      assert.ok(match, stdout);
      await waitUntilGone(Number(match[1]));
    });
  }

  it("children inherit the parent's Node flags, minus the parent-only ones", () => {
    assert.deepEqual(
      inheritedExecArgv([
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        '--inspect=9229',
        '-e',
        'x()',
        '--max-old-space-size=100',
      ]),
      ['--import', 'tsx', '--max-old-space-size=100'],
    );
  });
});
