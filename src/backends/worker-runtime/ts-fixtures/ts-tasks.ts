// A task module that stays TypeScript (tsc skips ts-fixtures/): loaded through tsx in workers.
import { label, type Shape } from './ts-helper.js';

enum Factor {
  Triple = 3,
}

export function triple(n: number): number {
  return n * Factor.Triple;
}

export function describeShape(shape: Shape): string {
  return label(shape) satisfies string;
}
