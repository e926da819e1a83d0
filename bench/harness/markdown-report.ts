/** The printed report as a Markdown document: headings stay headings, the text under each goes in one text block. */

export function toMarkdown(lines: readonly string[]): string {
  const out: string[] = [];
  let block: string[] = [];
  const flush = () => {
    while (block.length > 0 && block[block.length - 1] === '') block.pop();
    while (block.length > 0 && block[0] === '') block.shift();
    if (block.length > 0) out.push('```text', ...block, '```', '');
    block = [];
  };
  for (const line of lines.flatMap((chunk) => chunk.split('\n'))) {
    if (/^#{1,3} /.test(line)) {
      flush();
      out.push(line, '');
    } else {
      block.push(line);
    }
  }
  flush();
  return `${out.join('\n').trim()}\n`;
}
