/** `redis` backend: being built (issue 5). */
import type { Backend, BackendOptions } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';

export async function createRedisBackend(_options: BackendOptions): Promise<Backend> {
  throw new InvalidArgumentError('the redis backend is not built yet');
}
