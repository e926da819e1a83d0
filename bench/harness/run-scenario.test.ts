import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenario } from './fixtures/fixture-scenario.js';
import { runScenario } from './run-scenario.js';
import type { Scenario } from './types.js';

describe('runScenario', () => {
  it('runs each contender the asked number of times, interleaved, and stops retrying one that failed', async () => {
    const only = {
      ...scenario,
      contenders: scenario.contenders.filter((c) => c.id === 'ok' || c.id === 'throws'),
    } as Scenario<unknown>;
    const order: string[] = [];
    const result = await runScenario(only, new URL('./fixtures/fixture-scenario.js', import.meta.url).href, {
      runs: 3,
      quick: true,
      onRun: (label, run) => order.push(`${label}#${run}`),
    });
    assert.deepEqual(order, [
      'reports its params#1',
      'throws#1',
      'reports its params#2',
      'reports its params#3',
    ]);
    assert.deepEqual(result.params, { value: 1 });
    const [ok, throws] = result.contenders;
    assert.deepEqual(
      ok?.runs.map((r) => r.value),
      [1, 1, 1],
    );
    assert.equal(throws?.runs.length, 1);
    assert.match(throws?.runs[0]?.error ?? '', /RangeError/);
  });
});
