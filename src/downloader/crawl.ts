/**
 * `crawl(options)`: the seeds' two-stage crawler. Page workers fetch and parse list pages
 * (cheerio, overridable CSS selectors); picture workers download what they find, with
 * everything download() does (resume, safe names, retries, report). Both stages pull lazily
 * through bounded windows, so memory stays flat whatever the number of pages. Pages are taken
 * in order, so names are de-duplicated the same way on every run (resume stays exact).
 */
import { load } from 'cheerio';
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import type { PageResult, PageSettings } from './crawl-task.js';
import { runDownloads } from './download-engine.js';
import { DEFAULT_SELECTORS, type PageSelectors } from './list-page-parser.js';
import { checkOptionKeys, DOWNLOAD_OPTION_KEYS, type DownloadOptions, resolveRun } from './options.js';
import { prepareOutputFolder } from './output-folder.js';
import { extensionOfUrl, NameRegistry, nameFromUrl, sanitizeFileName } from './safe-name.js';
import type { DownloadEvent, DownloadItem, DownloadSummary } from './types.js';
import { checkUrl } from './urls.js';

const crawlTasks = tasks<typeof import('./crawl-task.js')>(new URL('./crawl-task.js', import.meta.url));

export interface CrawlOptions extends DownloadOptions {
  /** List page URL with `{page}` where the page number goes, e.g. `https://www.doutula.com/photo/list/?page={page}`. */
  readonly listUrl: string;
  /** First page. Default 1. */
  readonly firstPage?: number;
  /** Last page; default: go on until a page has no pictures. */
  readonly lastPage?: number;
  /** Pages fetched at once (the seeds' 3 page workers). Default 3. */
  readonly pageWorkers?: number;
  /** Where pictures and their names are on a page. */
  readonly selectors?: Partial<PageSelectors>;
}

export interface CrawlSummary extends DownloadSummary {
  readonly pages: number;
  readonly failedPages: number;
}

export type CrawlEvent =
  | Exclude<DownloadEvent, { type: 'end' }>
  | {
      readonly type: 'page';
      readonly page: number;
      readonly url: string;
      readonly images: number;
      readonly reason?: string;
    }
  | { readonly type: 'end'; readonly summary: CrawlSummary };

const CRAWL_OPTION_KEYS = [
  ...DOWNLOAD_OPTION_KEYS,
  'listUrl',
  'firstPage',
  'lastPage',
  'pageWorkers',
  'selectors',
] as const satisfies readonly (keyof CrawlOptions)[];

const SELECTOR_KEYS = ['image', 'name', 'urlAttributes'] as const satisfies readonly (keyof PageSelectors)[];

/** Failed pages in a row after which a crawl without a last page stops. */
const MAX_FAILED_IN_A_ROW = 5;

function pageUrl(template: string, page: number): string {
  return template.replaceAll('{page}', String(page));
}

function checkSelectors(selectors: PageSelectors): void {
  const $ = load('<div><img data-original="x"><p>n</p></div>');
  for (const [what, selector] of [
    ['image', selectors.image],
    ['name', selectors.name],
  ] as const) {
    try {
      $(selector);
    } catch (error) {
      throw new InvalidArgumentError(
        `the ${what} selector "${selector}" is not valid CSS: ${(error as Error).message}`,
      );
    }
  }
  if (selectors.urlAttributes.length === 0) throw new InvalidArgumentError('give at least one URL attribute');
}

export async function* crawl(options: CrawlOptions): AsyncGenerator<CrawlEvent, CrawlSummary> {
  const run = resolveRun(options, CRAWL_OPTION_KEYS, 'crawl() options');
  if (typeof options.listUrl !== 'string' || !options.listUrl.includes('{page}')) {
    throw new InvalidArgumentError(
      'listUrl must contain {page}, e.g. "https://www.doutula.com/photo/list/?page={page}"',
    );
  }
  checkUrl(pageUrl(options.listUrl, 1));
  const first = options.firstPage ?? 1;
  const last = options.lastPage;
  if (
    !Number.isInteger(first) ||
    first < 1 ||
    (last !== undefined && (!Number.isInteger(last) || last < first))
  ) {
    throw new InvalidArgumentError(
      `pages must be whole numbers with 1 <= first <= last, got ${first}-${last ?? ''}`,
    );
  }
  const pageWorkers = options.pageWorkers ?? 3;
  if (!Number.isInteger(pageWorkers) || pageWorkers < 1) {
    throw new InvalidArgumentError(
      `pageWorkers must be a whole number of at least 1, got ${String(pageWorkers)}`,
    );
  }
  if (options.selectors !== undefined) checkOptionKeys(options.selectors, SELECTOR_KEYS, 'crawl() selectors');
  const selectors: PageSelectors = { ...DEFAULT_SELECTORS, ...options.selectors };
  checkSelectors(selectors);
  const outDir = await prepareOutputFolder(run.out);
  const settings: PageSettings = {
    selectors,
    userAgent: run.userAgent,
    headers: run.headers,
    retries: run.retries,
    backoff: run.backoff,
    maxBackoff: run.maxBackoff,
    connectTimeout: run.connectTimeout,
    idleTimeout: run.idleTimeout,
  };
  const pageBackend: BackendName =
    run.backend === 'threads' || run.backend === 'processes' || run.backend === 'sequential'
      ? run.backend
      : 'async';
  const pagePool = new Pool({
    backend: pageBackend,
    concurrency: pageWorkers,
    workers: pageWorkers,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const pageEvents: CrawlEvent[] = [];
  let pages = 0;
  let failedPages = 0;
  let reachedEnd = false;
  let failedInARow = 0;
  function* pageJobs() {
    for (let page = first; last === undefined || page <= last; page++) {
      if (reachedEnd) return;
      yield { page, url: pageUrl(options.listUrl, page), settings };
    }
  }
  async function* items(): AsyncGenerator<DownloadItem> {
    const names = new NameRegistry();
    let index = 0;
    for await (const result of pagePool.imap(crawlTasks.fetchListPageJob, pageJobs(), {
      chunkSize: 1,
    }) as AsyncIterable<PageResult>) {
      if (reachedEnd) continue;
      pages++;
      if (result.reason !== undefined) {
        failedPages++;
        // An endless crawl stops when pages keep failing (server down), rather than going on forever.
        if (++failedInARow >= MAX_FAILED_IN_A_ROW && last === undefined) reachedEnd = true;
      } else failedInARow = 0;
      pageEvents.push({
        type: 'page',
        page: result.page,
        url: result.url,
        images: result.images.length,
        ...(result.reason !== undefined ? { reason: result.reason } : {}),
      });
      if (result.images.length === 0 && result.reason === undefined && last === undefined) {
        reachedEnd = true;
        continue;
      }
      for (const image of result.images) {
        const ext = extensionOfUrl(image.url);
        const usable = sanitizeFileName(image.name, '') !== '';
        const base = usable ? sanitizeFileName(image.name + ext) : nameFromUrl(image.url);
        yield { url: image.url, name: names.claim(base), index: index++ };
      }
    }
  }
  let summary: DownloadSummary | undefined;
  try {
    const downloads = runDownloads(items(), {
      run,
      outDir,
      total: undefined,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.pool ? { pool: options.pool as Record<string, unknown> } : {}),
    });
    for await (const event of downloads) {
      while (pageEvents.length > 0) yield pageEvents.shift() as CrawlEvent;
      if (event.type === 'end') summary = event.summary;
      else yield event;
    }
  } finally {
    await pagePool.terminate();
  }
  while (pageEvents.length > 0) yield pageEvents.shift() as CrawlEvent;
  const final: CrawlSummary = { ...(summary as DownloadSummary), pages, failedPages };
  yield { type: 'end', summary: final };
  return final;
}
