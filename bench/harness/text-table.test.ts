import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNumber, formatTable } from './text-table.js';

describe('formatTable', () => {
  it('aligns columns: text to the left, numbers to the right, under a rule', () => {
    const text = formatTable(
      [{ header: 'name' }, { header: 'rate', align: 'right' }],
      [
        ['a', '1'],
        ['longer', '1,000'],
      ],
    );
    assert.equal(text, ['name     rate', '------  -----', 'a           1', 'longer  1,000'].join('\n'));
  });
});

describe('formatNumber', () => {
  it('keeps about three significant digits and thousands separators', () => {
    assert.equal(formatNumber(12_345_678.9), '12,345,679');
    assert.equal(formatNumber(45.678), '45.7');
    assert.equal(formatNumber(1.234), '1.23');
    assert.equal(formatNumber(0.01234), '0.012');
  });
});
