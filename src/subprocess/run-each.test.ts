import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeFifo } from './fixtures/process-state.js';
import { type EachOutcome, runEach } from './run-each.js';

const scratch = mkdtempSync(join(tmpdir(), 'taskmill-run-each-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('runEach', () => {
  it('hands outcomes over in input order', async () => {
    const seen: number[] = [];
    const summary = await runEach(['sh', '-c', 'exit "$1"', 'sh'], ['0', '3', '0', '0'], {
      jobs: 3,
      onOutcome: (each) => void seen.push(each.index),
    });
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.equal(summary.total, 4);
    assert.deepEqual(
      summary.failed.map((f) => f.input),
      ['3'],
    );
  });

  it('reads inputs lazily and starts nothing beyond the window while an early command is slow', async () => {
    const window = 4;
    const fifo = makeFifo(scratch);
    const delivered: EachOutcome[] = [];
    let pulled = 0;
    let deliveredWhenPulledBeyondWindow = -1;
    // Input 0 blocks on the pipe; the others finish at once. The input source opens the pipe
    // only when asked for input `window`: that one cannot start until input 0 is handed over.
    async function* inputs(): AsyncGenerator<string> {
      for (let i = 0; i < 10; i++) {
        if (i === window) void writeFile(fifo, 'go\n');
        if (i === window + 1) deliveredWhenPulledBeyondWindow = delivered.length;
        pulled++;
        yield i === 0 ? fifo : '/dev/null';
      }
    }
    const summary = await runEach(['cat'], inputs(), {
      jobs: 2,
      window,
      onOutcome: (each) => void delivered.push(each),
    });
    assert.equal(pulled, 10);
    assert.ok(
      deliveredWhenPulledBeyondWindow >= 1,
      'input `window` started only after input 0 was handed over',
    );
    assert.deepEqual(
      delivered.map((d) => d.index),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const first = delivered[0]?.outcome;
    assert.ok(first?.status === 'fulfilled' && first.value.stdout === 'go\n');
    assert.equal(summary.failed.length, 0);
  });

  it('without keepGoing, starts nothing after the first failure and counts what was not run', async () => {
    const summary = await runEach(['sh', '-c', 'exit "$1"', 'sh'], ['0', '1', '0', '0'], {
      jobs: 1,
      keepGoing: false,
      onOutcome: () => {},
    });
    assert.equal(summary.failed.length, 1);
    assert.equal(summary.notRun, 2);
  });

  it('refuses bad jobs, window or an empty template', async () => {
    await assert.rejects(
      runEach(['true'], [], { jobs: 0, onOutcome: () => {} }),
      /jobs must be a positive integer/,
    );
    await assert.rejects(
      runEach(['true'], [], { jobs: 4, window: 2, onOutcome: () => {} }),
      /window must be/,
    );
    await assert.rejects(runEach([], ['a'], { jobs: 1, onOutcome: () => {} }), /no command given/);
  });
});
