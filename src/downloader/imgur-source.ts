/** The Imgur gallery API as a source: `GET /3/gallery/` with `Authorization: Client-ID <id>`, keep .jpg links. */

import { request } from 'undici';
import { abortableSleep } from './abortable-sleep.js';
import { classifyError } from './attempt-errors.js';
import { DownloadSourceError } from './errors.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.js';
import { DEFAULT_IMGUR_API } from './urls.js';

export { DEFAULT_IMGUR_API } from './urls.js';

export interface ImgurSource {
  /** Your application's client id (the CLI reads IMGUR_CLIENT_ID). */
  readonly clientId: string;
  /** Default https://api.imgur.com/3/gallery/. */
  readonly apiUrl?: string;
  /** Which links to keep; default: those ending in .jpg, as the seeds do. */
  readonly keep?: (link: string) => boolean;
}

export interface SourceRequestOptions {
  readonly userAgent: string;
  readonly retries: number;
  readonly backoff: number;
  readonly maxBackoff: number;
  readonly connectTimeout: number;
  readonly idleTimeout: number;
  readonly signal?: AbortSignal;
}

/** GETs `url` as text, retrying transient failures; throws DownloadSourceError with a one-line reason. */
export async function getText(
  url: string,
  headers: Record<string, string>,
  options: SourceRequestOptions,
  what: string,
): Promise<{ status: number; text: string }> {
  let lastReason = '';
  for (let retry = 0; retry <= options.retries; retry++) {
    let retryAfter: number | undefined;
    try {
      const response = await request(url, {
        method: 'GET',
        headers: { 'user-agent': options.userAgent, ...headers },
        headersTimeout: options.idleTimeout,
        bodyTimeout: options.idleTimeout,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const text = await response.body.text();
      if (!isRetryableStatus(response.statusCode)) return { status: response.statusCode, text };
      lastReason = `HTTP ${response.statusCode}`;
      retryAfter = parseRetryAfter(response.headers['retry-after']);
    } catch (error) {
      const failure = classifyError(error);
      lastReason = failure.message;
      if (!failure.retryable) break;
    }
    if (retry < options.retries) {
      const wait = Math.min(
        options.maxBackoff,
        Math.max(retryAfter ?? 0, backoffDelay(retry + 1, options.backoff, options.maxBackoff)),
      );
      await abortableSleep(wait, options.signal);
    }
  }
  throw new DownloadSourceError(
    `cannot get ${what} from ${url}: ${lastReason}; check the URL and that the server is up`,
  );
}

/** The gallery's image links that `keep` accepts (default: .jpg). */
export async function imgurLinks(source: ImgurSource, options: SourceRequestOptions): Promise<string[]> {
  const apiUrl = source.apiUrl ?? DEFAULT_IMGUR_API;
  const { status, text } = await getText(
    apiUrl,
    { authorization: `Client-ID ${source.clientId}`, accept: 'application/json' },
    options,
    'the gallery',
  );
  if (status === 401 || status === 403) {
    throw new DownloadSourceError(
      `the gallery API refused the client id (HTTP ${status}): set IMGUR_CLIENT_ID to your Imgur application's client id`,
    );
  }
  if (status !== 200) throw new DownloadSourceError(`the gallery API answered HTTP ${status} at ${apiUrl}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DownloadSourceError(`the gallery API at ${apiUrl} did not answer JSON; check --api-url`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) {
    throw new DownloadSourceError(`the gallery API answer has no "data" list; check --api-url`);
  }
  const keep = source.keep ?? ((link: string) => link.endsWith('.jpg'));
  const links: string[] = [];
  for (const entry of data) {
    const link = (entry as { link?: unknown } | null)?.link;
    if (typeof link === 'string' && keep(link)) links.push(link);
  }
  return links;
}
