import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScenarioRuns } from './run-scenario.js';
import { judge, summarize } from './summarize.js';
import type { Contender, RunRecord, Scenario } from './types.js';

function contender(id: string, extra: Partial<Contender<unknown>> = {}): Contender<unknown> {
  return { id, label: `label ${id}`, run: async () => ({}), ...extra };
}

function runsOf(
  scenario: Partial<Scenario<unknown>>,
  table: [Contender<unknown>, RunRecord[]][],
): ScenarioRuns {
  const full: Scenario<unknown> = {
    id: 's',
    title: 's',
    method: 'm',
    unit: 'u',
    higherIsBetter: true,
    baseline: 'peer',
    timeoutMs: 1,
    params: () => ({}),
    contenders: table.map(([c]) => c),
    ...scenario,
  };
  return {
    scenario: full,
    moduleUrl: 'file:///x.js',
    params: {},
    contenders: table.map(([c, runs]) => ({ contender: c, runs })),
  };
}

describe('summarize', () => {
  it('reports medians, spread and the ratio against the baseline peer', () => {
    const [ours, peer] = summarize(
      runsOf({}, [
        [contender('ours', { target: { min: 25 } }), [{ value: 30 }, { value: 10 }, { value: 20 }]],
        [contender('peer'), [{ value: 5 }, { value: 5 }, { value: 15 }]],
      ]),
    );
    assert.equal(ours?.median, 20);
    assert.equal(ours?.min, 10);
    assert.equal(ours?.max, 30);
    assert.equal(ours?.ratio, 4);
    assert.equal(ours?.peerLabel, 'label peer');
    assert.equal(ours?.verdict, 'misses by 20%');
    assert.equal(peer?.ratio, 1);
    assert.equal(peer?.verdict, undefined);
  });

  it('compares with the best of several peers: the highest when higher is better', () => {
    const [ours] = summarize(
      runsOf({}, [
        [contender('ours', { compareTo: ['a', 'b'] }), [{ value: 12 }]],
        [contender('a'), [{ value: 4 }]],
        [contender('b'), [{ value: 6 }]],
        [contender('peer'), [{ value: 1 }]],
      ]),
    );
    assert.equal(ours?.ratio, 2);
    assert.equal(ours?.peerLabel, 'best of: label b');
  });

  it('…and the lowest when lower is better, judging a ratio target', () => {
    const [auto] = summarize(
      runsOf({ higherIsBetter: false }, [
        [contender('auto', { compareTo: ['a', 'b'], ratioTarget: { max: 1.15 } }), [{ value: 110 }]],
        [contender('a'), [{ value: 100 }]],
        [contender('b'), [{ value: 300 }]],
        [contender('peer'), [{ value: 1 }]],
      ]),
    );
    assert.equal(auto?.peerLabel, 'best of: label a');
    assert.equal(auto?.ratio, 1.1);
    assert.equal(auto?.verdict, 'meets');
  });

  it('gives a failing contender no figure but its error, and leaves other rows intact', () => {
    const [broken, ours] = summarize(
      runsOf({}, [
        [contender('broken'), [{ error: 'Error: not built yet' }]],
        [contender('ours', { compareTo: 'broken' }), [{ value: 3 }]],
        [contender('peer'), [{ value: 3 }]],
      ]),
    );
    assert.equal(broken?.median, undefined);
    assert.equal(broken?.error, 'Error: not built yet');
    assert.equal(ours?.median, 3);
    assert.equal(ours?.ratio, undefined);
    assert.equal(ours?.peerLabel, 'label broken (no figure)');
  });

  it('counts failed runs beside the median of the good ones', () => {
    const [ours] = summarize(
      runsOf({}, [[contender('peer'), [{ value: 3 }, { error: 'Error: flaky' }, { value: 5 }]]]),
    );
    assert.equal(ours?.median, 4);
    assert.deepEqual(ours?.notes, ['1 of 3 runs failed']);
  });

  it('uses the peak RSS as the figure of a memory scenario', () => {
    const [ours] = summarize(
      runsOf({ metric: 'peak-rss', higherIsBetter: false }, [
        [contender('peer'), [{ peakRssMiB: 80 }, { peakRssMiB: 90 }]],
      ]),
    );
    assert.equal(ours?.median, 85);
    assert.equal(ours?.medianPeakRssMiB, 85);
  });
});

describe('judge', () => {
  it('says how far a figure misses its bound, relative to the bound', () => {
    assert.equal(judge(100, { min: 100 }), 'meets');
    assert.equal(judge(50, { min: 100 }), 'misses by 50%');
    assert.equal(judge(30, { max: 25 }), 'misses by 20%');
    assert.equal(judge(25.5, { max: 25 }), 'misses by 2.0%');
  });
});
