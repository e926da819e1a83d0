/** `taskmill crawl`: the two-stage crawler over paginated list pages (page workers, picture workers). */
import type { Command } from 'commander';
import { addDownloadFlags, downloadOptionsFrom, wholeNumber } from '../../downloader/console/common-flags.js';
import { addOutputFlags, consoleFlags } from '../../downloader/console/output-flags.js';
import { UsageError } from '../errors.js';

const DOUTULA = 'https://www.doutula.com/photo/list/?page={page}';
/** The parser's defaults (list-page-parser.ts), repeated here so help does not load cheerio. */
const DEFAULT_SELECTORS = { image: 'img[data-original]', urlAttributes: ['data-original', 'src'], name: 'p' };

/** `1-1655`, `7` or `1-` (until a page has no pictures). */
export function parsePages(value: string): { first: number; last: number | undefined } {
  const match = /^(\d+)(?:-(\d*))?$/.exec(value.trim());
  if (match === null)
    throw new UsageError(`--pages must look like 1-1655, 7 or 1- (until a page is empty), got "${value}"`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : match[2] === '' ? undefined : Number(match[2]);
  if (first < 1 || (last !== undefined && last < first)) {
    throw new UsageError(`--pages must have 1 <= first <= last, got "${value}"`);
  }
  return { first, last };
}

export function register(program: Command): void {
  const command = program
    .command('crawl')
    .description('Crawl paginated list pages: page workers find pictures, picture workers download them')
    .option('--list-url <template>', 'list page URL with {page} for the page number', DOUTULA)
    .option('--pages <range>', 'pages to crawl: 1-1655, 7, or 1- (until a page has no pictures)', '1-')
    .option('--page-workers <n>', 'list pages fetched at once', wholeNumber('page-workers', 1), 3)
    .option('--image-selector <css>', 'CSS selector of each picture <img>', DEFAULT_SELECTORS.image)
    .option(
      '--url-attribute <names>',
      'attributes with the picture URL, comma-separated',
      DEFAULT_SELECTORS.urlAttributes.join(','),
    )
    .option(
      '--name-selector <css>',
      "CSS selector (inside the picture's parent) of its name; falls back to alt",
      DEFAULT_SELECTORS.name,
    );
  addOutputFlags(addDownloadFlags(command)).action(async (flags: Record<string, unknown>) => {
    const { first, last } = parsePages(flags.pages as string);
    // Loaded on use, so that `taskmill --help` and other commands start fast.
    const { crawl } = await import('../../downloader/crawl.js');
    const { runToConsole } = await import('../../downloader/console/run-to-console.js');
    const options = {
      ...downloadOptionsFrom(flags),
      listUrl: flags.listUrl as string,
      firstPage: first,
      ...(last !== undefined ? { lastPage: last } : {}),
      pageWorkers: flags.pageWorkers as number,
      selectors: {
        image: flags.imageSelector as string,
        urlAttributes: (flags.urlAttribute as string)
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
        name: flags.nameSelector as string,
      },
    };
    process.exitCode = await runToConsole((signal) => crawl({ ...options, signal }), {
      label: 'crawl',
      crawl: last === undefined ? {} : { pages: last - first + 1 },
      ...consoleFlags(flags),
    });
  });
}
