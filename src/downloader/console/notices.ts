/** Lines a run has to tell the person at the terminal as they happen (stderr), beside the progress. */
import type { DownloadEvent } from '../types.js';

/** The line to show for `event` now, if any: warnings always, the auto backend's choice unless quiet. */
export function noticeOf(event: { readonly type: string }, quiet: boolean): string | undefined {
  const e = event as DownloadEvent;
  if (e.type === 'warning') return `warning: ${e.message}`;
  if (e.type === 'start' && e.backendReason !== undefined && !quiet) return e.backendReason;
  return undefined;
}
