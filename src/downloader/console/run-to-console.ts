/** Drives a download or crawl from the CLI: progress on stderr, summary line, report file, exit status. */
import { UsageError } from '../../cli/errors.js';
import { OutputFolderError } from '../errors.js';
import type { DownloadEvent, DownloadSummary, ItemResult } from '../types.js';
import { noticeOf } from './notices.js';
import { createProgressView } from './progress-view.js';
import { writeReport } from './report-file.js';
import { summaryLine } from './summary-line.js';

export interface ConsoleRun {
  readonly label: string;
  readonly report?: string;
  readonly quiet?: boolean;
  /** Extra data for the report (e.g. a crawl's failed pages). */
  readonly pages?: () => readonly unknown[];
}

/** Consumes `events`; returns the exit status (0 all good, 1 some failed). */
export async function runToConsole(events: AsyncIterable<DownloadEvent>, run: ConsoleRun): Promise<number> {
  const view = run.quiet ? undefined : createProgressView(run.label);
  const items: ItemResult[] = [];
  let summary: DownloadSummary | undefined;
  const interrupted = new AbortController();
  try {
    for await (const event of events) {
      view?.update(event);
      const notice = noticeOf(event, run.quiet === true);
      if (notice !== undefined) process.stderr.write(`${notice}\n`);
      if (event.type === 'item') items.push(event.result);
      else if (event.type === 'end') summary = event.summary;
      if (interrupted.signal.aborted) break;
    }
  } catch (error) {
    if (error instanceof OutputFolderError) throw new UsageError(error.message);
    throw error;
  } finally {
    view?.stop();
  }
  if (summary === undefined) return 1;
  for (const item of items) {
    if (item.outcome === 'failed') {
      process.stderr.write(`failed: ${item.url.slice(0, 200)}: ${item.reason ?? 'unknown reason'}\n`);
    }
  }
  const pages = run.pages?.() ?? [];
  if (run.report !== undefined) {
    await writeReport(run.report, {
      command: run.label,
      summary,
      items,
      ...(pages.length > 0 ? { pages } : {}),
    });
  }
  process.stdout.write(`${summaryLine(summary)}\n`);
  return summary.failed > 0 || pages.length > 0 ? 1 : 0;
}
