/** Maps a backend name to its implementation. Local backends load eagerly; redis only when asked for. */
import { createAsyncBackend } from '../backends/async/async-backend.js';
import { createProcessesBackend } from '../backends/processes/processes-backend.js';
import { createSequentialBackend } from '../backends/sequential/sequential-backend.js';
import { createThreadsBackend } from '../backends/threads/threads-backend.js';
import type { Backend, BackendName, BackendOptions } from '../core/backend.js';
import { assertFeatureInstalled } from '../core/optional-packages.js';

export function createBackend(name: BackendName, options: BackendOptions): Backend | Promise<Backend> {
  switch (name) {
    case 'sequential':
      return createSequentialBackend(options);
    case 'async':
      return createAsyncBackend(options);
    case 'threads':
      return createThreadsBackend(options);
    case 'processes':
      return createProcessesBackend(options);
    case 'redis':
      assertFeatureInstalled('redis');
      return import('../distributed/redis-backend.js').then((m) => m.createRedisBackend(options));
  }
}

/** Backends that run plain functions in this very thread (everything else needs task references). */
export function runsInProcess(name: BackendName): boolean {
  return name === 'sequential' || name === 'async';
}
