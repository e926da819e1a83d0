/** Wait before a node's next attempt, from its `backoff` option (BullMQ's kinds and defaults). */
import type { NodeOptions } from './spec.js';

const DEFAULT_DELAY = 1000;

export function backoffDelay(backoff: NodeOptions['backoff'], attemptsSoFar: number): number {
  if (backoff === undefined) return 0;
  const type = typeof backoff === 'string' ? backoff : backoff.type;
  const delay = typeof backoff === 'string' ? DEFAULT_DELAY : backoff.delay;
  return type === 'fixed' ? delay : delay * 2 ** Math.max(0, attemptsSoFar - 1);
}
