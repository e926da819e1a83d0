/** Finds the pictures on a list page with a real HTML parser (cheerio) and CSS selectors the user can override. */
import { load } from 'cheerio';

export interface PageSelectors {
  /** CSS selector of each picture's <img>. Default `img[data-original]` (doutula's lazy-loaded images). */
  readonly image: string;
  /** Attributes holding the picture's URL, first non-empty wins. Default data-original, then src. */
  readonly urlAttributes: readonly string[];
  /** CSS selector, inside the image's parent, of the element whose text is the name; falls back to `alt`. Default `p`. */
  readonly name: string;
}

export const DEFAULT_SELECTORS: PageSelectors = {
  image: 'img[data-original]',
  urlAttributes: ['data-original', 'src'],
  name: 'p',
};

export interface FoundImage {
  readonly url: string;
  readonly name: string;
}

export class SelectorError extends Error {
  readonly code = 'ERR_SELECTOR';
}

/** The pictures on `html`, with URLs made absolute against `pageUrl`. */
export function findImages(
  html: string,
  pageUrl: string,
  selectors: PageSelectors = DEFAULT_SELECTORS,
): FoundImage[] {
  const $ = load(html);
  let images: ReturnType<typeof $>;
  try {
    images = $(selectors.image);
  } catch (error) {
    throw new SelectorError(`invalid image selector "${selectors.image}": ${(error as Error).message}`);
  }
  const found: FoundImage[] = [];
  images.each((_, element) => {
    const img = $(element);
    let raw: string | undefined;
    for (const attribute of selectors.urlAttributes) {
      const value = img.attr(attribute)?.trim();
      if (value) {
        raw = value;
        break;
      }
    }
    if (raw === undefined) return;
    let url: string;
    try {
      url = new URL(raw, pageUrl).href;
    } catch {
      return;
    }
    if (!url.startsWith('http:') && !url.startsWith('https:')) return;
    let name = '';
    try {
      name = img.parent().find(selectors.name).first().text().trim();
    } catch (error) {
      throw new SelectorError(`invalid name selector "${selectors.name}": ${(error as Error).message}`);
    }
    if (name === '') name = img.attr('alt')?.trim() ?? '';
    found.push({ url, name });
  });
  return found;
}
