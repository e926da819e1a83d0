/**
 * The downloader as the main entry point exports it: the same functions, loaded on first use,
 * so that `import … from 'taskmill'` does not pull in undici and cheerio for programs (and
 * workers) that never download anything.
 */
import { assertFeatureInstalled } from '../core/optional-packages.js';
import type { CrawlEvent, CrawlOptions, CrawlSummary } from './crawl.js';
import type { DownloadSource } from './download.js';
import type { DownloadOptions } from './options.js';
import type { DownloadEvent, DownloadSummary } from './types.js';

/** Downloads every item of `source`; yields per-item results and progress events, returns the summary. */
export async function* download(
  source: DownloadSource,
  options: DownloadOptions = {},
): AsyncGenerator<DownloadEvent, DownloadSummary> {
  assertFeatureInstalled('download');
  const engine = await import('./download.js');
  return yield* engine.download(source, options);
}

/** Crawls paginated list pages and downloads the images they show; yields events, returns the summary. */
export async function* crawl(options: CrawlOptions): AsyncGenerator<CrawlEvent, CrawlSummary> {
  assertFeatureInstalled('crawl');
  const crawler = await import('./crawl.js');
  return yield* crawler.crawl(options);
}
