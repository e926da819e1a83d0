import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBenchOptions } from './cli-options.js';
import { BenchUsageError } from './errors.js';

describe('parseBenchOptions', () => {
  it('defaults to 5 runs of every scenario', () => {
    assert.deepEqual(parseBenchOptions([]), {
      runs: 5,
      quick: false,
      only: [],
      json: undefined,
      markdown: undefined,
      help: false,
    });
  });
  it('--quick means one run unless --runs says otherwise', () => {
    assert.equal(parseBenchOptions(['--quick']).runs, 1);
    assert.equal(parseBenchOptions(['--quick', '--runs', '3']).runs, 3);
  });
  it('takes values after a space or an equals sign, and several --only filters', () => {
    const options = parseBenchOptions([
      '--runs=7',
      '--only',
      'Tiny,cpu',
      '--only=auto',
      '--json',
      'out.json',
    ]);
    assert.equal(options.runs, 7);
    assert.deepEqual(options.only, ['tiny', 'cpu', 'auto']);
    assert.equal(options.json, 'out.json');
  });
  it('refuses what it does not understand, saying what was wrong', () => {
    assert.throws(() => parseBenchOptions(['--runs', 'many']), BenchUsageError);
    assert.throws(() => parseBenchOptions(['--runs', '0']), /--runs takes a whole number/);
    assert.throws(() => parseBenchOptions(['--json']), /--json needs a value/);
    assert.throws(() => parseBenchOptions(['--fast']), /unknown option "--fast"/);
  });
});
