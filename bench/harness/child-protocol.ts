/** Messages a contender's child process sends the runner over its IPC channel. */
import type { Sample } from './types.js';

export type ChildMessage =
  | { readonly type: 'result'; readonly sample: Sample }
  | { readonly type: 'error'; readonly message: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'result' || type === 'error';
}
