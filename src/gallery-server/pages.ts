/** The gallery API's JSON (Imgur's shape) and doutula-style list pages, built once and cached. */
import { HOSTILE_NAMES } from './hostile-names.js';
import type { ResolvedServerOptions } from './options.js';

/** Ids of .gif images and list-page images live in their own ranges, apart from the gallery's .jpg. */
export const GIF_ID_BASE = 1_000_000_000;
export const PAGE_ID_BASE = 2_000_000_000;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Path of gallery image `index` (a .jpg); with hostile names, the first ones carry hostile file names. */
export function galleryImagePath(options: ResolvedServerOptions, index: number): string {
  if (options.hostileNames && index < HOSTILE_NAMES.length) {
    return `/i/${index}/${encodeURIComponent(HOSTILE_NAMES[index] as string)}.jpg`;
  }
  return `/i/${index}.jpg`;
}

/** The body of `GET /3/gallery/…`: `images` .jpg entries, a .gif after every 7th, an album after every 11th. */
export function galleryJson(options: ResolvedServerOptions, base: string): string {
  const data: Record<string, unknown>[] = [];
  let gifs = 0;
  let albums = 0;
  for (let i = 0; i < options.images; i++) {
    data.push({
      id: `img${i}`,
      title: `Image ${i}`,
      type: 'image/jpeg',
      animated: false,
      is_album: false,
      size: options.imageSize,
      link: base + galleryImagePath(options, i),
    });
    if (i % 7 === 6) {
      const id = GIF_ID_BASE + gifs++;
      data.push({
        id: `gif${id}`,
        title: `Animation ${id}`,
        type: 'image/gif',
        animated: true,
        is_album: false,
        size: options.imageSize,
        link: `${base}/i/${id}.gif`,
      });
    }
    if (i % 11 === 10) {
      const id = `alb${albums++}`;
      data.push({ id, title: `Album ${id}`, is_album: true, images_count: 3, link: `${base}/a/${id}` });
    }
  }
  return JSON.stringify({ data, success: true, status: 200 });
}

export const UNAUTHORIZED_JSON = JSON.stringify({
  data: { error: 'Authentication required', request: '/3/gallery/', method: 'GET' },
  success: false,
  status: 401,
});

/** Name of image `k` on list page `page`. */
export function listImageName(options: ResolvedServerOptions, page: number, k: number): string {
  const slot = (page - 1) * options.perPage + k;
  if (options.hostileNames && slot < HOSTILE_NAMES.length) return HOSTILE_NAMES[slot] as string;
  return `表情${slot}`;
}

/** A doutula-style list page: each picture an <a> holding an <img data-original> and a hidden <p> name. */
export function listPageHtml(options: ResolvedServerOptions, base: string, page: number): string {
  const parts: string[] = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>最新表情 - 第',
    String(page),
    '页</title></head><body><div class="page-content text-center"><div>',
  ];
  if (page >= 1 && page <= options.pages) {
    for (let k = 0; k < options.perPage; k++) {
      const id = PAGE_ID_BASE + (page - 1) * options.perPage + k;
      const name = escapeHtml(listImageName(options, page, k));
      parts.push(
        `<a class="col-xs-6 col-sm-3" href="${base}/photo/${id}" style="padding:5px;">`,
        `<img referrerpolicy="no-referrer" src="${base}/static/loader.gif" style="width: 100%;" `,
        `data-original="${base}/i/${id}.jpg" alt="${name}" class="img-responsive lazy image_dta" data-backup="${base}/i/${id}.jpg">`,
        `<p style="display: none">${name}</p></a>`,
      );
    }
  }
  parts.push('</div></div><ul class="pagination">');
  if (page < options.pages)
    parts.push(`<li><a class="page-link" href="${base}/photo/list/?page=${page + 1}">›</a></li>`);
  parts.push('</ul></body></html>');
  return parts.join('');
}
