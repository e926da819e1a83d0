/**
 * File names from URLs and pages are untrusted. A safe name is one path component: no
 * separators, no `..`, no control characters or NUL, not hidden, at most MAX_NAME_BYTES bytes of
 * UTF-8 (room is left for `.part` and a de-duplicating suffix), never ending in `.part`.
 * Names that collide, ignoring case, are told apart deterministically (`a.jpg`, `a-2.jpg`, …).
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

export const MAX_NAME_BYTES = 200;
const EXTENSION = /\.[A-Za-z0-9]{1,10}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this strips
const UNSAFE = /[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Names that need no work: ASCII letters, digits, `_-.`, not starting or ending with a dot. */
const PLAIN = /^[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$/;
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, cut on a code point boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

function splitExtension(name: string): [stem: string, ext: string] {
  const match = EXTENSION.exec(name);
  if (match === null || match.index === 0) return [name, ''];
  return [name.slice(0, match.index), match[0]];
}

/** One safe path component made from an untrusted name (`fallback` when nothing usable is left). */
export function sanitizeFileName(raw: string, fallback = 'file', maxBytes = MAX_NAME_BYTES): string {
  // Fast path for the common plain ASCII name (e.g. `aBc123.jpg`): nothing to change.
  if (raw.length <= maxBytes && PLAIN.test(raw) && !RESERVED.test(raw) && !/\.part$/i.test(raw)) return raw;
  let name = raw.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').replace(UNSAFE, '_');
  name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (name === '' || /^_*$/.test(name)) name = name === '' ? fallback : name;
  if (RESERVED.test(name)) name = `_${name}`;
  if (/\.part$/i.test(name)) name = `${name}_`;
  const [stem, ext] = splitExtension(name);
  if (Buffer.byteLength(name) > maxBytes) name = truncateUtf8(stem, maxBytes - ext.length) + ext;
  return name;
}

/** The file name a URL points at: its last path segment, percent-decoded, then sanitized. */
export function nameFromUrl(url: string, fallback = 'file'): string {
  let path = '';
  const scheme = url.indexOf('://');
  if (scheme > 0) {
    const slash = url.indexOf('/', scheme + 3);
    if (slash >= 0) {
      const end = url.search(/[?#]/);
      path = url.slice(slash, end > slash ? end : undefined);
    }
  }
  let segment = path.slice(path.lastIndexOf('/') + 1);
  if (segment.includes('%')) {
    try {
      segment = decodeURIComponent(segment);
    } catch {
      // keep the raw segment when it is not valid percent-encoding
    }
  }
  return sanitizeFileName(segment, fallback);
}

/** The extension of a URL's path (`.jpg`), or '' when it has no plain one. */
export function extensionOfUrl(url: string): string {
  try {
    const match = EXTENSION.exec(new URL(url).pathname);
    return match === null ? '' : match[0].toLowerCase();
  } catch {
    return '';
  }
}

/** Hands out unique names, comparing without regard to case (as macOS and Windows do). */
export class NameRegistry {
  readonly #taken = new Set<string>();

  /** `name` if it is free, else `stem-2.ext`, `stem-3.ext`, …: the same input order gives the same names. */
  claim(name: string): string {
    let candidate = name;
    const [stem, ext] = splitExtension(name);
    for (let n = 2; this.#taken.has(candidate.toLowerCase()); n++) {
      const suffix = `-${n}`;
      candidate = truncateUtf8(stem, MAX_NAME_BYTES - ext.length - suffix.length) + suffix + ext;
    }
    this.#taken.add(candidate.toLowerCase());
    return candidate;
  }
}

export class UnsafePathError extends Error {
  readonly code = 'ERR_UNSAFE_PATH';
}

/**
 * The path of `name` inside `outDir` (a real path, checked once per worker with
 * assertRealFolder), refusing anything that would land elsewhere: `name` must be one component.
 */
export function pathInside(outDir: string, name: string): string {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes(sep) ||
    name.includes('\0')
  ) {
    throw new UnsafePathError(`refusing unsafe file name ${JSON.stringify(name.slice(0, 80))}`);
  }
  const path = join(outDir, name);
  if (dirname(path) !== outDir || basename(path) !== name) {
    throw new UnsafePathError(
      `refusing ${JSON.stringify(name.slice(0, 80))}: it would land outside ${outDir}`,
    );
  }
  return path;
}

/** Throws unless `outDir` is its own real path (no symlink in it), so names joined to it stay inside. */
export function assertRealFolder(outDir: string): void {
  if (realpathSync(outDir) !== outDir) {
    throw new UnsafePathError(
      `the output folder ${outDir} is not a real path (it resolves elsewhere); give its real path`,
    );
  }
}
