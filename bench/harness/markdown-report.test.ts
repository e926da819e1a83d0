import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toMarkdown } from './markdown-report.js';

describe('toMarkdown', () => {
  it('keeps headings and puts the lines under each in one text block', () => {
    const text = toMarkdown([
      '# title',
      '',
      'date: x',
      'node: y',
      '',
      '## scenario',
      'method',
      '',
      'a  1',
      'b  2',
      '',
    ]);
    assert.equal(
      text,
      [
        '# title',
        '',
        '```text',
        'date: x',
        'node: y',
        '```',
        '',
        '## scenario',
        '',
        '```text',
        'method',
        '',
        'a  1',
        'b  2',
        '```',
        '',
      ].join('\n'),
    );
  });
});
