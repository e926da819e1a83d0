/**
 * The pool contract, model-based: fast-check generates scripts of calls, lifecycle steps and
 * cancellations over quick, slow, failing, hanging and crashing tasks (testing/model/script.ts), plays
 * each on a real pool and checks every outcome against a model (testing/model/run-script.ts). A fixed
 * seed runs here; `npm run soak` runs thousands of scripts with fresh seeds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BackendName } from '../core/backend.js';
import { runScript } from './testing/model/run-script.js';
import { script } from './testing/model/script.js';

const SEED = 20261202;
const RUNS: Record<string, number> = { sequential: 40, async: 40, threads: 25, processes: 15 };

describe('the pool contract, on random scripts', () => {
  for (const backend of ['sequential', 'async', 'threads', 'processes'] as BackendName[]) {
    it(`holds on the ${backend} backend (${RUNS[backend]} scripts, seed ${SEED})`, {
      timeout: 600_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(script(backend), async (steps) => {
          const report = await runScript(backend, steps);
          assert.deepEqual(report.violations, [], `script:\n  ${report.steps.join('\n  ')}`);
        }),
        { seed: SEED, numRuns: RUNS[backend] as number },
      );
    });
  }
});
