/**
 * The code blocks of a Markdown file that a reader can paste and run: every fence whose
 * language is TypeScript or JavaScript (ts, typescript, mts, cts, js, javascript, mjs, cjs).
 *
 * - A block whose first line is a comment naming a file (`// tasks.ts`, `// main.cjs: ...`)
 *   is that file; other blocks get a name from their line (`readme-42.ts`). Names are unique.
 * - An HTML comment `<!-- fragment: why -->` on the line before the fence (blank lines
 *   between allowed) marks an illustrative fragment, which is not run. Keep those few.
 */

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: 'typescript' | 'javascript';
  /** The file the block is saved as. */
  readonly file: string;
  readonly code: string;
}

export interface Fragment {
  readonly line: number;
  readonly reason: string;
}

export interface ReadmeCode {
  readonly blocks: readonly CodeBlock[];
  readonly fragments: readonly Fragment[];
}

const LANGUAGES: Readonly<Record<string, { language: CodeBlock['language']; extension: string }>> = {
  ts: { language: 'typescript', extension: '.ts' },
  typescript: { language: 'typescript', extension: '.ts' },
  mts: { language: 'typescript', extension: '.mts' },
  cts: { language: 'typescript', extension: '.cts' },
  js: { language: 'javascript', extension: '.js' },
  javascript: { language: 'javascript', extension: '.js' },
  mjs: { language: 'javascript', extension: '.mjs' },
  cjs: { language: 'javascript', extension: '.cjs' },
};
const FILE_COMMENT = /^\/\/\s*([A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:[cm]?ts|[cm]?js))(?:\s|:|$)/;
const FRAGMENT = /^<!--\s*fragment:\s*(.*?)\s*-->$/;

export function extractCode(markdown: string): ReadmeCode {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  const fragments: Fragment[] = [];
  const names = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*([\w-]*)[^`]*$/.exec(lines[i] as string);
    if (open === null) continue;
    const fence = open[1] as string;
    const end = lines.findIndex((text, j) => j > i && text.startsWith(fence) && text.trim() === fence);
    if (end < 0) throw new Error(`line ${i + 1}: a code fence that is never closed`);
    const line = i + 1;
    const code = lines.slice(i + 1, end).join('\n');
    const kind = LANGUAGES[(open[2] as string).toLowerCase()];
    const before = previousText(lines, i);
    i = end;
    if (kind === undefined) continue;
    const fragment = FRAGMENT.exec(before ?? '');
    if (fragment !== null) {
      if ((fragment[1] as string) === '') throw new Error(`line ${line}: a fragment comment needs a reason`);
      fragments.push({ line, reason: fragment[1] as string });
      continue;
    }
    const named = FILE_COMMENT.exec(code.split('\n', 1)[0] ?? '')?.[1];
    const file = named ?? `readme-${line}${kind.extension}`;
    if (named !== undefined && /\.[cm]?ts$/.test(named) !== (kind.language === 'typescript')) {
      throw new Error(`line ${line}: ${named} in a ${kind.language} block; name a file of that language`);
    }
    const first = names.get(file);
    if (first !== undefined) {
      throw new Error(
        `line ${line}: ${file} is already the block at line ${first}; give each block its own file name`,
      );
    }
    names.set(file, line);
    blocks.push({ line, language: kind.language, file, code: `${code}\n` });
  }
  return { blocks, fragments };
}

/** The nearest non-blank line above line `index`. */
function previousText(lines: readonly string[], index: number): string | undefined {
  for (let j = index - 1; j >= 0; j--) {
    const text = (lines[j] as string).trim();
    if (text !== '') return text;
  }
  return undefined;
}
