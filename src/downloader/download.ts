/**
 * `download(source, options)`: the library API under `taskmill download`. Returns an async
 * iterable of events: `start`, `bytes` (progress of large files), `item` (one per input, with
 * its outcome) and `end` (the summary). Problems with the source or the output folder throw
 * before anything is written; each item's own failure is an `item` event, never a throw.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { runDownloads } from './download-engine.js';
import { DownloadSourceError } from './errors.js';
import { type ImgurSource, imgurLinks } from './imgur-source.js';
import { checkOptionKeys, type DownloadOptions, resolveRun } from './options.js';
import { prepareOutputFolder } from './output-folder.js';
import { NameRegistry, nameFromUrl, sanitizeFileName } from './safe-name.js';
import type { DownloadEvent, DownloadItem, DownloadSummary } from './types.js';
import { checkUrl } from './urls.js';

export { checkUrl } from './urls.js';

/** A URL, or a URL with the file name to save it under (the name is sanitized). */
export type DownloadInput = string | { readonly url: string; readonly name?: string };

export type DownloadSource =
  | Iterable<DownloadInput>
  | AsyncIterable<DownloadInput>
  | { readonly imgur: ImgurSource };

const IMGUR_KEYS = ['clientId', 'apiUrl', 'keep'] as const satisfies readonly (keyof ImgurSource)[];

function isImgur(source: DownloadSource): source is { readonly imgur: ImgurSource } {
  return typeof source === 'object' && source !== null && 'imgur' in source;
}

async function* toItems(
  inputs: Iterable<DownloadInput> | AsyncIterable<DownloadInput>,
): AsyncGenerator<DownloadItem> {
  const names = new NameRegistry();
  let index = 0;
  for await (const input of inputs) {
    const url = typeof input === 'string' ? input : input.url;
    const given = typeof input === 'string' ? undefined : input.name;
    const name = names.claim(given === undefined ? nameFromUrl(url) : sanitizeFileName(given));
    yield { url, name, index: index++ };
  }
}

export async function* download(
  source: DownloadSource,
  options: DownloadOptions = {},
): AsyncGenerator<DownloadEvent, DownloadSummary> {
  const run = resolveRun(options);
  let inputs: Iterable<DownloadInput> | AsyncIterable<DownloadInput>;
  let total: number | undefined;
  if (isImgur(source)) {
    checkOptionKeys(source, ['imgur'], 'the download source');
    checkOptionKeys(source.imgur, IMGUR_KEYS, 'the imgur source');
    if (typeof source.imgur.clientId !== 'string' || source.imgur.clientId.trim() === '') {
      throw new InvalidArgumentError(
        'the Imgur source needs a client id: set IMGUR_CLIENT_ID (or imgur.clientId)',
      );
    }
    if (source.imgur.apiUrl !== undefined) checkUrl(source.imgur.apiUrl);
    const links = await imgurLinks(source.imgur, {
      ...run,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (links.length === 0) {
      throw new DownloadSourceError('the gallery has no .jpg images: nothing to download');
    }
    inputs = links;
    total = links.length;
  } else if (Array.isArray(source)) {
    for (const input of source as DownloadInput[]) checkUrl(typeof input === 'string' ? input : input?.url);
    const list = source as DownloadInput[];
    inputs = list;
    total = list.length;
  } else if (
    typeof source === 'object' &&
    source !== null &&
    (Symbol.iterator in source || Symbol.asyncIterator in source)
  ) {
    inputs = source;
  } else {
    throw new InvalidArgumentError(
      'download() takes a list of URLs, an async iterable of URLs, or { imgur: {...} }',
    );
  }
  const outDir = await prepareOutputFolder(run.out);
  return yield* runDownloads(toItems(inputs), {
    run,
    outDir,
    total,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pool ? { pool: options.pool as Record<string, unknown> } : {}),
  });
}
