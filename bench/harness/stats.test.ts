import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, spread } from './stats.js';

describe('median and spread', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    assert.equal(median([5, 1, 3]), 3);
  });
  it('averages the two middle values of an even count', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
  it('is NaN for no values rather than a made-up figure', () => {
    assert.ok(Number.isNaN(median([])));
  });
  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });
  it('spread is the smallest and largest value', () => {
    assert.deepEqual(spread([3, 9, 1, 4]), { min: 1, max: 9 });
  });
});
