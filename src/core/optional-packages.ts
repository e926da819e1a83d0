/**
 * taskmill's heavy parts are optional peer dependencies, installed only by those who use them.
 * Each lazy entry point asks here first whether its packages are installed, so that a missing
 * one is a MissingDependencyError naming the feature and the install command, not a bare
 * "Cannot find package" from deep inside.
 */
import { readFileSync } from 'node:fs';
import { MissingDependencyError } from './errors.js';

/** What each feature needs; the versions come from taskmill's own peerDependencies. */
export const OPTIONAL_FEATURES = {
  redis: { what: "backend 'redis'", packages: ['bullmq', 'ioredis'] },
  redisWorker: { what: 'a Redis worker (startWorker, taskmill worker)', packages: ['bullmq', 'ioredis'] },
  queueAdmin: {
    what: 'queue administration (openQueueAdmin, taskmill queue)',
    packages: ['bullmq', 'ioredis'],
  },
  dashboard: { what: 'the dashboard (startDashboard, taskmill dashboard)', packages: ['bullmq', 'ioredis'] },
  download: { what: 'download()', packages: ['undici'] },
  crawl: { what: 'crawl()', packages: ['undici', 'cheerio'] },
  progressBar: { what: "parallel()'s progress: true", packages: ['cli-progress'] },
  cli: { what: 'the taskmill command', packages: ['commander', 'cli-progress', 'undici', 'cheerio'] },
  typescript: {
    what: 'a TypeScript task module on a Node.js without type stripping',
    packages: ['tsx'],
  },
} as const satisfies Record<string, { readonly what: string; readonly packages: readonly string[] }>;

export type OptionalFeature = keyof typeof OPTIONAL_FEATURES;

/** Whether `specifier` (a package name or one of its subpaths) resolves from taskmill's own files. */
export function isInstalled(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** Throws a MissingDependencyError when any package `feature` needs is not installed. */
export function assertFeatureInstalled(feature: OptionalFeature): void {
  const { what, packages } = OPTIONAL_FEATURES[feature];
  const missing = packages.filter((name) => !isInstalled(name));
  if (missing.length > 0) throw missingDependency(what, missing);
}

/** The error for `packages` missing, with the install command at the versions taskmill supports. */
export function missingDependency(what: string, packages: readonly string[]): MissingDependencyError {
  const ranges = peerRanges();
  const install = `npm install ${packages.map((name) => (ranges[name] ? `${name}@${ranges[name]}` : name)).join(' ')}`;
  return new MissingDependencyError(what, packages, install);
}

/** The version range of each optional package, from package.json (none if it cannot be read). */
function peerRanges(): Record<string, string> {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      peerDependencies?: Record<string, string>;
    };
    return manifest.peerDependencies ?? {};
  } catch {
    return {};
  }
}
