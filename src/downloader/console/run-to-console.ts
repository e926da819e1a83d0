/**
 * Drives a download or crawl from the CLI: progress on stderr, the summary, the report file,
 * the exit status, and Ctrl-C. The first Ctrl-C stops cleanly (nothing new starts, downloads in
 * flight stop and keep their .part files, the summary and the report are written, exit 130);
 * a second one stops at once. With `json`, stdout carries only JSON (the summary; with
 * `events`, one line per item before it) and every human line goes to stderr.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../cli/errors.js';
import type { CrawlEvent } from '../crawl.js';
import { OutputFolderError } from '../errors.js';
import type { DownloadEvent, DownloadSummary, ItemResult } from '../types.js';
import { noticeOf } from './notices.js';
import { createProgressView, type ProgressView } from './progress-view.js';
import { writeReport } from './report-file.js';
import type { CrawlShape } from './run-progress.js';
import { partialLine, summaryLine } from './summary-line.js';

export interface ConsoleRun {
  readonly label: string;
  readonly report?: string;
  readonly quiet?: boolean;
  /** The summary as JSON on stdout; human text on stderr. */
  readonly json?: boolean;
  /** With `json`: one JSON line per item on stdout, as each ends. */
  readonly events?: boolean;
  /** A crawl (its progress shows pages and images). */
  readonly crawl?: CrawlShape;
}

export interface FailedPage {
  readonly page: number;
  readonly url: string;
  readonly reason: string;
}

/** Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_STATUS = 130;

/** Refuses a `--report` path that cannot be written, before anything is downloaded. */
export async function checkReportPath(path: string): Promise<void> {
  const full = resolve(path);
  const folder = dirname(full);
  const where = await stat(folder).catch((error: NodeJS.ErrnoException) => error);
  if (where instanceof Error) {
    throw new UsageError(
      where.code === 'ENOENT'
        ? `--report ${path}: the folder ${folder} does not exist: create it first, or give a report path in an existing folder`
        : `--report ${path}: cannot use the folder ${folder} (${where.code ?? where.message})`,
    );
  }
  if (!where.isDirectory()) throw new UsageError(`--report ${path}: ${folder} is not a folder`);
  const target = await stat(full).catch(() => undefined);
  if (target?.isDirectory()) {
    throw new UsageError(`--report ${path} is a folder: give a file name, e.g. ${join(path, 'report.json')}`);
  }
  await access(folder, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--report ${path}: cannot write in ${folder} (${error.code ?? error.message})`);
  });
}

/**
 * Runs `start(signal)` (the run's events) to the console; returns the exit status: 0 all good,
 * 1 some failed, 130 interrupted.
 */
export async function runToConsole(
  start: (signal: AbortSignal) => AsyncIterable<DownloadEvent | CrawlEvent>,
  run: ConsoleRun,
): Promise<number> {
  if (run.report !== undefined) await checkReportPath(run.report);
  const json = run.json === true || run.events === true;
  const view: ProgressView | undefined = run.quiet
    ? undefined
    : createProgressView(run.label, run.crawl !== undefined ? { crawl: run.crawl } : {});
  const say = (text: string) => (view === undefined ? process.stderr.write(`${text}\n`) : view.log(text));
  const items: ItemResult[] = [];
  const failedPages: FailedPage[] = [];
  let summary: DownloadSummary | undefined;
  const stop = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      say(
        `${run.label}: stopping: no new downloads, those in flight keep their .part files (Ctrl-C again to stop at once)`,
      );
      stop.abort();
      return;
    }
    view?.stop();
    process.stderr.write(`${run.label}: stopped at once: rerun the same command to resume\n`);
    // Ended by the signal itself (as shells expect: status 130), not by process.exit(), which
    // waits for file operations in flight, and a stuck one (a hung disk) would hold it for ever.
    process.off('SIGINT', onInterrupt);
    if (process.listenerCount('SIGINT') === 0) process.kill(process.pid, 'SIGINT');
    else process.exit(INTERRUPTED_STATUS);
  };
  // stdout closed early (`| head -1`): the run goes on, its output is dropped instead of failing with EPIPE.
  let stdoutOpen = true;
  const onStdoutError = () => {
    stdoutOpen = false;
  };
  const out = (text: string) => {
    if (stdoutOpen) process.stdout.write(text);
  };
  process.stdout.on('error', onStdoutError);
  process.on('SIGINT', onInterrupt);
  try {
    return await consume();
  } finally {
    process.off('SIGINT', onInterrupt);
    process.stdout.off('error', onStdoutError);
  }

  async function consume(): Promise<number> {
    try {
      for await (const event of start(stop.signal)) {
        view?.update(event);
        const notice = noticeOf(event, run.quiet === true);
        if (notice !== undefined) say(notice);
        if (event.type === 'item') {
          items.push(event.result);
          if (run.events === true) out(`${JSON.stringify({ type: 'item', ...event.result })}\n`);
        } else if (event.type === 'page') {
          if (event.reason !== undefined) {
            failedPages.push({ page: event.page, url: event.url, reason: event.reason });
            say(`page ${event.page} failed: ${event.reason}`);
          }
        } else if (event.type === 'end') summary = event.summary;
      }
    } catch (error) {
      if (error instanceof OutputFolderError) throw new UsageError(error.message);
      // Ctrl-C before the downloads began (e.g. while the gallery was listed): nothing to sum up.
      if (stop.signal.aborted && summary === undefined) {
        view?.stop();
        process.stderr.write(`${run.label}: interrupted before any download started\n`);
        return INTERRUPTED_STATUS;
      }
      throw error;
    } finally {
      view?.stop();
    }
    if (summary === undefined) return 1;
    const human = (text: string) => (json ? process.stderr.write(`${text}\n`) : out(`${text}\n`));
    for (const item of items) {
      if (item.outcome === 'failed') {
        process.stderr.write(`failed: ${item.url.slice(0, 200)}: ${item.reason ?? 'unknown reason'}\n`);
      }
    }
    human(summaryLine(summary));
    const partial = partialLine(items);
    if (partial !== undefined) human(partial);
    const partFiles = items
      .filter((item) => item.partFile !== undefined)
      .map((item) => ({ name: item.partFile as string, bytes: item.partBytes ?? 0, url: item.url }));
    if (json) {
      const failed = items
        .filter((item) => item.outcome === 'failed')
        .map(({ index, url, name, code, reason }) => ({ index, url, name, code, reason }));
      out(
        `${JSON.stringify({
          type: 'summary',
          command: run.label,
          summary,
          partFiles,
          failed,
          ...(run.crawl !== undefined ? { failedPages } : {}),
        })}\n`,
      );
    }
    let status = summary.stopped ? INTERRUPTED_STATUS : summary.failed > 0 || failedPages.length > 0 ? 1 : 0;
    if (run.report !== undefined) {
      try {
        await writeReport(run.report, {
          command: run.label,
          summary,
          items,
          partFiles,
          ...(failedPages.length > 0 ? { pages: failedPages } : {}),
        });
      } catch (error) {
        process.stderr.write(
          `taskmill: could not write --report ${run.report}: ${(error as Error).message}\n`,
        );
        if (status === 0) status = 1;
      }
    }
    return status;
  }
}
