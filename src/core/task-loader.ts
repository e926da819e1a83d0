/**
 * Loads the function a task reference names. Used in every place a task runs: the main thread
 * (sequential, async), worker threads, child processes and remote workers.
 *
 * A task URL ending in `.js` whose file does not exist names its `.ts` sibling, the mapping
 * TypeScript and tsx apply to import specifiers: `new URL('./tasks.js', import.meta.url)` works
 * from `main.ts` run under tsx (tasks.ts on disk) and from `main.js` compiled by tsc alike.
 * A TypeScript module is loaded through tsx when it is installed (registered on first need),
 * else through Node's own type stripping where this Node has it; otherwise the error says to
 * install tsx.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UnknownTaskError } from './errors.js';
import { isInstalled, missingDependency, OPTIONAL_FEATURES } from './optional-packages.js';

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/i;
/** A JavaScript extension and the TypeScript one it stands for in an import specifier. */
const TYPESCRIPT_SIBLING: Readonly<Record<string, string>> = {
  '.js': '.ts',
  '.mjs': '.mts',
  '.cjs': '.cts',
  '.jsx': '.tsx',
};
const modules = new Map<string, Promise<Record<string, unknown>>>();
let typeScriptLoader: Promise<void> | undefined;

export function isTypeScriptModule(url: string): boolean {
  return TYPESCRIPT.test(new URL(url).pathname);
}

/** Whether this Node runs TypeScript by itself (type stripping: Node 22.18+, or 22.6+ with a flag). */
function nativeTypeStripping(): boolean {
  const typescript = (process.features as { typescript?: unknown }).typescript;
  return typeof typescript === 'string' && typescript !== '';
}

/**
 * Makes `import()` of .ts files work in this thread (idempotent): registers tsx when it is
 * installed, relies on Node's type stripping when it is not, and refuses when neither is there.
 */
export function ensureTypeScriptLoader(): Promise<void> {
  typeScriptLoader ??= (async () => {
    if (isInstalled('tsx/esm/api')) {
      const api = await import('tsx/esm/api');
      api.register();
      return;
    }
    if (nativeTypeStripping()) return;
    throw missingDependency(OPTIONAL_FEATURES.typescript.what, OPTIONAL_FEATURES.typescript.packages);
  })();
  typeScriptLoader.catch(() => {
    typeScriptLoader = undefined;
  });
  return typeScriptLoader;
}

/**
 * The module file a task URL names: the URL itself when its file exists (or it is not a file
 * URL), else the TypeScript sibling of a `.js`/`.mjs`/`.cjs`/`.jsx` URL when that exists.
 * A file that is missing either way is an UnknownTaskError naming both paths tried.
 */
export function resolveTaskModule(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'file:') return url;
  const path = fileURLToPath(parsed);
  if (existsSync(path)) return url;
  const extension = /\.[^./]+$/.exec(path)?.[0] ?? '';
  const siblingExtension = TYPESCRIPT_SIBLING[extension.toLowerCase()];
  if (siblingExtension === undefined) {
    throw new UnknownTaskError(`cannot load task module ${url}: there is no file ${path}`);
  }
  const sibling = path.slice(0, -extension.length) + siblingExtension;
  if (existsSync(sibling)) {
    const resolved = pathToFileURL(sibling);
    resolved.search = parsed.search;
    return resolved.href;
  }
  throw new UnknownTaskError(
    `cannot load task module ${url}: there is no file ${path}, nor its TypeScript sibling ${sibling}`,
  );
}

export function loadModule(url: string): Promise<Record<string, unknown>> {
  let loaded = modules.get(url);
  if (loaded === undefined) {
    loaded = (async () => {
      const file = resolveTaskModule(url);
      if (isTypeScriptModule(file)) await ensureTypeScriptLoader();
      try {
        return (await import(file)) as Record<string, unknown>;
      } catch (error) {
        const shown = file === url ? url : `${url} (found ${file})`;
        throw new UnknownTaskError(`cannot load task module ${shown}: ${describeLoadError(error)}`, {
          cause: error,
        });
      }
    })();
    modules.set(url, loaded);
    loaded.catch(() => modules.delete(url));
  }
  return loaded;
}

/** The reason a module failed to load; a package it imports that is not installed is named as such. */
function describeLoadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /Cannot find package '([^']+)'/.exec(message)?.[1];
  if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && missing !== undefined) {
    return `it imports the package ${missing}, which is not installed where it runs (npm install ${missing}): ${message}`;
  }
  return message;
}

export type TaskFunction = (...args: unknown[]) => unknown;

export async function loadTaskFunction(url: string, name: string): Promise<TaskFunction> {
  const mod = await loadModule(url);
  const fn = Object.hasOwn(mod, name) ? mod[name] : undefined;
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((key) => typeof mod[key] === 'function');
    throw new UnknownTaskError(
      `task module ${url} has no exported function ${JSON.stringify(name)}` +
        (exported.length > 0
          ? ` (it exports: ${exported.slice(0, 20).join(', ')})`
          : ' (it exports no functions)'),
    );
  }
  return fn as TaskFunction;
}
