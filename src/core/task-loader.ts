/**
 * Loads the function a task reference names. Used in every place a task runs: the main thread
 * (sequential, async), worker threads, child processes and remote workers.
 * A task module written in TypeScript is loaded through tsx, registered on first need, so task
 * files work whether the caller runs from source or from compiled JavaScript.
 */
import { UnknownTaskError } from './errors.js';

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/i;
const modules = new Map<string, Promise<Record<string, unknown>>>();
let tsxRegistered: Promise<void> | undefined;

export function isTypeScriptModule(url: string): boolean {
  return TYPESCRIPT.test(new URL(url).pathname);
}

/** Makes `import()` of .ts files work in this thread (idempotent). */
export function ensureTypeScriptLoader(): Promise<void> {
  tsxRegistered ??= import('tsx/esm/api').then((api) => {
    api.register();
  });
  return tsxRegistered;
}

export function loadModule(url: string): Promise<Record<string, unknown>> {
  let loaded = modules.get(url);
  if (loaded === undefined) {
    loaded = (async () => {
      if (isTypeScriptModule(url)) await ensureTypeScriptLoader();
      try {
        return (await import(url)) as Record<string, unknown>;
      } catch (error) {
        throw new UnknownTaskError(
          `cannot load task module ${url}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    })();
    modules.set(url, loaded);
    loaded.catch(() => modules.delete(url));
  }
  return loaded;
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
