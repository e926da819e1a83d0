/** Which images misbehave, and how: a pure function of the seed and the image id. */
import type { ResolvedServerOptions } from './options.js';

export type Fault = 'none' | 'error' | 'truncate' | 'reset' | 'too-many-requests' | 'drip' | 'missing';

/** A well-mixed number in [0, 1) from a seed and an id (splitmix-style integer hash). */
export function unitHash(seed: number, id: number): number {
  let h = (Math.imul(id ^ 0x5bd1e995, 0x27d4eb2d) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32;
}

export function faultFor(options: ResolvedServerOptions, id: number): Fault {
  let u = unitHash(options.seed, id);
  const table: [Fault, number][] = [
    ['error', options.errorRate],
    ['truncate', options.truncateRate],
    ['reset', options.resetRate],
    ['too-many-requests', options.tooManyRequestsRate],
    ['drip', options.dripRate],
    ['missing', options.missingRate],
  ];
  for (const [fault, rate] of table) {
    if (u < rate) return fault;
    u -= rate;
  }
  return 'none';
}
