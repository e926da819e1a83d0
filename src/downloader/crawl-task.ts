/** The crawler's page task: fetch one list page and find its pictures. Runs on any backend. */
import { getText } from './imgur-source.js';
import { type FoundImage, findImages, type PageSelectors } from './list-page-parser.js';

export interface PageSettings {
  readonly selectors: PageSelectors;
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly retries: number;
  readonly backoff: number;
  readonly maxBackoff: number;
  readonly connectTimeout: number;
  readonly idleTimeout: number;
}

export interface PageResult {
  readonly page: number;
  readonly url: string;
  readonly images: readonly FoundImage[];
  /** Why the page could not be read, when it could not. */
  readonly reason?: string;
}

export async function fetchListPage(page: number, url: string, settings: PageSettings): Promise<PageResult> {
  try {
    const { status, text } = await getText(url, { ...settings.headers }, settings, `list page ${page}`);
    if (status === 404) return { page, url, images: [] };
    if (status < 200 || status >= 300) return { page, url, images: [], reason: `HTTP ${status}` };
    return { page, url, images: findImages(text, url, settings.selectors) };
  } catch (error) {
    return { page, url, images: [], reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The same, with one argument (for the pool's map family). */
export function fetchListPageJob(job: {
  page: number;
  url: string;
  settings: PageSettings;
}): Promise<PageResult> {
  return fetchListPage(job.page, job.url, job.settings);
}
