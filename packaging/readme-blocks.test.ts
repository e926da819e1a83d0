/** How README code blocks are found, named and left out (the rules readme.test.ts runs them by). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractCode } from './readme-blocks.js';

const fence = '```';

describe('README code blocks', () => {
  it('takes TypeScript and JavaScript fences, named by their first comment or by their line', () => {
    const markdown = [
      '# t',
      `${fence}ts`,
      '// tasks.ts: the tasks',
      'export const a = 1;',
      fence,
      `${fence}sh`,
      'npm test',
      fence,
      `${fence}js`,
      'console.log(1);',
      fence,
      `${fence}cjs`,
      '// main.cjs',
      "require('x');",
      fence,
    ].join('\n');
    const { blocks, fragments } = extractCode(markdown);
    assert.deepEqual(
      blocks.map((b) => [b.line, b.language, b.file]),
      [
        [2, 'typescript', 'tasks.ts'],
        [9, 'javascript', 'readme-9.js'],
        [12, 'javascript', 'main.cjs'],
      ],
    );
    assert.equal(blocks[0]?.code, '// tasks.ts: the tasks\nexport const a = 1;\n');
    assert.deepEqual(fragments, []);
  });

  it('leaves out a block marked as a fragment, with its reason', () => {
    const markdown = ['<!-- fragment: needs a GPU -->', '', `${fence}ts`, 'gpu();', fence].join('\n');
    assert.deepEqual(extractCode(markdown), { blocks: [], fragments: [{ line: 3, reason: 'needs a GPU' }] });
    assert.throws(
      () => extractCode(['<!-- fragment: -->', `${fence}ts`, 'x', fence].join('\n')),
      /needs a reason/,
    );
  });

  it('refuses two blocks of one name, a name of the wrong language and an unclosed fence', () => {
    const twice = [`${fence}ts`, '// a.ts', fence, `${fence}ts`, '// a.ts', fence].join('\n');
    assert.throws(() => extractCode(twice), /line 4: a\.ts is already the block at line 1/);
    assert.throws(
      () => extractCode([`${fence}js`, '// a.ts', fence].join('\n')),
      /a\.ts in a javascript block/,
    );
    assert.throws(() => extractCode([`${fence}ts`, 'x'].join('\n')), /never closed/);
  });
});
