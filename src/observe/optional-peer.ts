/**
 * Optional peer dependencies (prom-client, @opentelemetry/api), loaded on first use. A peer
 * that is not installed costs one failed lookup per process, then nothing; asking for a feature
 * that needs it gives an error that names the package to install.
 */
import { createRequire } from 'node:module';
import { missingDependency } from '../core/optional-packages.js';

const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/** The package's module, or undefined when it is not installed. */
export function optionalPeer<T>(name: string): T | undefined {
  if (loaded.has(name)) return loaded.get(name) as T | undefined;
  let module: unknown;
  try {
    module = require(name);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    module = undefined;
  }
  loaded.set(name, module);
  return module as T | undefined;
}

/** The package's module; throws an error naming the install command when it is missing. */
export function requirePeer<T>(name: string, feature: string): T {
  const module = optionalPeer<T>(name);
  if (module === undefined) throw missingDependency(feature, [name]);
  return module;
}
