/** URL checks and defaults, kept free of heavy imports so the CLI starts fast. */
import { InvalidArgumentError } from '../core/errors.js';

export const DEFAULT_IMGUR_API = 'https://api.imgur.com/3/gallery/';

/** Throws InvalidArgumentError unless `url` is an absolute http(s) URL. */
export function checkUrl(url: unknown): string {
  if (typeof url !== 'string')
    throw new InvalidArgumentError(`a download URL must be a string, got ${typeof url}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      `"${url.slice(0, 200)}" is not a valid URL: give absolute http:// or https:// URLs`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(`"${url.slice(0, 200)}" is not an http:// or https:// URL`);
  }
  return url;
}
