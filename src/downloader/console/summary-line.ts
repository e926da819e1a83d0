/** The one-line summary printed at the end of a run. */
import type { DownloadSummary } from '../types.js';
import { formatBytes, formatSeconds } from './format.js';

export function summaryLine(summary: DownloadSummary): string {
  const rate = summary.bytes / Math.max(summary.seconds, 0.001);
  return (
    `${summary.downloaded} downloaded, ${summary.skipped} skipped, ${summary.failed} failed of ${summary.total} ` +
    `(${formatBytes(summary.bytes)} in ${formatSeconds(summary.seconds)}, ${formatBytes(rate)}/s, ` +
    `${summary.backend} backend) into ${summary.outDir}`
  );
}
