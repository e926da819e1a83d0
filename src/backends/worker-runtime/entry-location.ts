/**
 * Where a worker's entry file is. Compiled, it is a .js file beside this one. Run from source
 * (under tsx), it is a .ts file, which a worker thread on Node 20 cannot load by itself: the
 * worker is then started from ts-bootstrap.mjs, which registers tsx and imports the entry.
 */
export interface EntryLocation {
  /** The file to start the worker from. */
  readonly start: URL;
  /** The real entry, when `start` is the TypeScript bootstrap. */
  readonly entry: string | undefined;
}

const FROM_SOURCE = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);

export function workerEntry(baseName: 'thread-entry' | 'process-entry' | 'steward'): EntryLocation {
  if (!FROM_SOURCE) return { start: new URL(`./${baseName}.js`, import.meta.url), entry: undefined };
  return {
    start: new URL('./ts-bootstrap.mjs', import.meta.url),
    entry: new URL(`./${baseName}.ts`, import.meta.url).href,
  };
}
