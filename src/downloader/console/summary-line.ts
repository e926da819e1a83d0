/** The summary printed at the end of a run: one line of counts, and what to do about kept partial files. */
import type { DownloadSummary, ItemResult } from '../types.js';
import { formatBytes, formatSeconds } from './format.js';

export function summaryLine(summary: DownloadSummary): string {
  const rate = summary.bytes / Math.max(summary.seconds, 0.001);
  const resumed = summary.resumed > 0 ? ` (${summary.resumed} resumed)` : '';
  const interrupted = summary.interrupted > 0 ? `, ${summary.interrupted} interrupted` : '';
  return (
    `${summary.stopped ? 'interrupted: ' : ''}` +
    `${summary.downloaded} downloaded${resumed}, ${summary.skipped} skipped, ${summary.failed} failed${interrupted} of ${summary.total} ` +
    `(${formatBytes(summary.bytes)} in ${formatSeconds(summary.seconds)}, ${formatBytes(rate)}/s, ` +
    `${summary.backend} backend) into ${summary.outDir}`
  );
}

/** Partial files named at most, in the summary (the report has them all). */
const NAMED = 10;

/** `N partial files kept: rerun the same command to resume`, naming them; undefined when none. */
export function partialLine(items: readonly ItemResult[]): string | undefined {
  const kept = items.filter((item) => item.partFile !== undefined);
  if (kept.length === 0) return undefined;
  const names = kept
    .slice(0, NAMED)
    .map((item) => `${item.partFile as string} (${formatBytes(item.partBytes ?? 0)})`)
    .join(', ');
  const more = kept.length > NAMED ? `, and ${kept.length - NAMED} more (see --report)` : '';
  const files = kept.length === 1 ? 'partial file' : 'partial files';
  return `${kept.length} ${files} kept: rerun the same command to resume: ${names}${more}`;
}
