/** The core suite, in the order it runs. Each module exports one or more scenarios (see harness/types.ts). */
export const CORE_SCENARIO_MODULES: readonly string[] = [
  'tiny-tasks.js',
  'cpu-bound.js',
  'big-payloads.js',
  'startup.js',
  'queued-memory.js',
  'auto-backend.js',
  'metrics-overhead.js',
].map((file) => new URL(`./${file}`, import.meta.url).href);
