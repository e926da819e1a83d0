/**
 * What a download or crawl has done so far, from its events, and how to say it in a line:
 * files (or a crawl's pages and images), bytes as they arrive, large files one by one, a rate
 * over a sliding window and an ETA from that rate. Plain state and text: the terminal and the
 * plain-line views (progress-view.ts) draw it.
 */
import type { CrawlEvent } from '../crawl.js';
import type { DownloadEvent } from '../types.js';
import { formatBytes, formatSeconds } from './format.js';
import { RateWindow } from './rate-window.js';

/** An ETA needs this much of the sliding window covered (and bytes flowing). */
export const ETA_AFTER_MS = 1500;
/** Large files shown one per line, at most. */
const FILE_LINES = 4;
const BAR_WIDTH = 20;

interface InFlight {
  readonly name: string;
  /** Bytes of the file on disk so far (a resume starts at its offset). */
  received: number;
  size: number | undefined;
}

export interface CrawlShape {
  /** Pages the crawl will read, when it has a last page. */
  readonly pages?: number;
}

export class RunProgress {
  readonly label: string;
  readonly #crawl: CrawlShape | undefined;
  #total: number | undefined;
  done = 0;
  failed = 0;
  skipped = 0;
  /** Bytes received by this run, in-flight files included. */
  bytes = 0;
  pagesRead = 0;
  pagesFailed = 0;
  imagesFound = 0;
  readonly #counted = new Map<number, number>();
  readonly #inFlight = new Map<number, InFlight>();
  #sizeSum = 0;
  #sizeCount = 0;
  readonly #rate = new RateWindow();
  #firstSampleAt: number | undefined;

  constructor(label: string, crawl?: CrawlShape) {
    this.label = label;
    this.#crawl = crawl;
  }

  get total(): number | undefined {
    return this.#total;
  }

  update(event: DownloadEvent | CrawlEvent): void {
    if (event.type === 'start') this.#total = event.total;
    else if (event.type === 'page') {
      this.pagesRead++;
      if (event.reason !== undefined) this.pagesFailed++;
      this.imagesFound += event.images;
    } else if (event.type === 'bytes') {
      let file = this.#inFlight.get(event.index);
      if (event.from !== undefined) {
        // An attempt starts: at 0, or at the offset of a resumed .part.
        file = { name: event.name, received: event.from, size: event.size };
        this.#inFlight.set(event.index, file);
      } else if (file === undefined) {
        file = { name: event.name, received: 0, size: undefined };
        this.#inFlight.set(event.index, file);
      }
      file.received += event.bytes;
      this.bytes += event.bytes;
      this.#counted.set(event.index, (this.#counted.get(event.index) ?? 0) + event.bytes);
    } else if (event.type === 'item') {
      const result = event.result;
      this.done++;
      if (result.outcome === 'failed') this.failed++;
      else if (result.outcome === 'skipped') this.skipped++;
      const seen = this.#counted.get(result.index) ?? 0;
      this.#counted.delete(result.index);
      this.#inFlight.delete(result.index);
      this.bytes += Math.max(0, result.bytes - seen);
      if (result.outcome === 'downloaded' && result.size !== undefined) {
        this.#sizeSum += result.size;
        this.#sizeCount++;
      }
    }
  }

  /** Takes a sample for the sliding-window rate (call a few times a second). */
  sample(now: number): void {
    this.#firstSampleAt ??= now;
    this.#rate.sample(now, this.bytes);
  }

  /** Bytes per second over the sliding window. */
  rate(): number {
    return this.#rate.perSecond();
  }

  /** Bytes still to come, when the input's length is known and some file sizes are: else undefined. */
  remainingBytes(): number | undefined {
    if (this.#total === undefined || this.#crawl !== undefined) return undefined;
    let remaining = 0;
    let sizeSum = this.#sizeSum;
    let sizeCount = this.#sizeCount;
    let sized = 0;
    for (const file of this.#inFlight.values()) {
      if (file.size === undefined) continue;
      remaining += Math.max(0, file.size - file.received);
      sizeSum += file.size;
      sizeCount++;
      sized++;
    }
    const unsized = this.#total - this.done - sized;
    if (unsized > 0) {
      if (sizeCount === 0) return undefined;
      remaining += unsized * (sizeSum / sizeCount);
    }
    return remaining;
  }

  /** Every file's size is known (the input's length too): the run's total bytes. */
  totalBytes(): number | undefined {
    if (this.#total === undefined || this.#crawl !== undefined) return undefined;
    let sized = 0;
    for (const file of this.#inFlight.values()) if (file.size !== undefined) sized++;
    if (this.#total - this.done - sized > 0) return undefined;
    const remaining = this.remainingBytes();
    return remaining === undefined ? undefined : this.bytes + remaining;
  }

  /** Seconds left from the windowed rate; undefined until the window has enough samples. */
  eta(now: number): number | undefined {
    if (this.#firstSampleAt === undefined || now - this.#firstSampleAt < ETA_AFTER_MS) return undefined;
    if (this.#rate.spanMs() < ETA_AFTER_MS) return undefined;
    const rate = this.rate();
    const remaining = this.remainingBytes();
    if (remaining === undefined || rate <= 0) return undefined;
    return remaining / rate;
  }

  #fraction(): number {
    if (this.#crawl !== undefined) return this.imagesFound > 0 ? this.done / this.imagesFound : 0;
    const total = this.totalBytes();
    if (total !== undefined && total > 0) return this.bytes / total;
    const remaining = this.remainingBytes();
    if (remaining !== undefined && this.bytes + remaining > 0) return this.bytes / (this.bytes + remaining);
    return this.#total !== undefined && this.#total > 0 ? this.done / this.#total : 0;
  }

  #counts(): string[] {
    if (this.#crawl !== undefined) {
      const pages =
        this.#crawl.pages === undefined ? `${this.pagesRead}` : `${this.pagesRead}/${this.#crawl.pages}`;
      return [`pages ${pages} read`, `images ${this.done}/${this.imagesFound} done`];
    }
    return [`${this.done}${this.#total === undefined ? '' : `/${this.#total}`} files`];
  }

  #bytesText(): string {
    const total = this.totalBytes();
    return total === undefined
      ? formatBytes(this.bytes)
      : `${formatBytes(this.bytes)} of ${formatBytes(total)}`;
  }

  #tail(now: number): string[] {
    const eta = this.eta(now);
    const parts = [`${formatBytes(this.rate())}/s`];
    if (this.#crawl === undefined && this.#total !== undefined) {
      parts.push(`ETA ${eta === undefined ? '…' : formatSeconds(eta)}`);
    }
    if (this.failed > 0) parts.push(`${this.failed} failed`);
    if (this.pagesFailed > 0) parts.push(`${this.pagesFailed} pages failed`);
    return parts;
  }

  /** The terminal view: the run's bar, then one line per large file in flight. */
  lines(now: number): string[] {
    const top = `${this.label} ${bar(this.#fraction())} ${[...this.#counts(), this.#bytesText(), ...this.#tail(now)].join(' | ')}`;
    const files = [...this.#inFlight.values()];
    const lines = [top];
    for (const file of files.slice(0, FILE_LINES)) {
      const name = file.name.length > 32 ? `${file.name.slice(0, 31)}…` : file.name;
      if (file.size === undefined || file.size === 0) lines.push(`  ${name} ${formatBytes(file.received)}`);
      else {
        const share = Math.min(1, file.received / file.size);
        lines.push(
          `  ${name} ${bar(share)} ${formatBytes(file.received)} of ${formatBytes(file.size)} (${Math.floor(share * 100)}%)`,
        );
      }
    }
    if (files.length > FILE_LINES) lines.push(`  … and ${files.length - FILE_LINES} more large files`);
    return lines;
  }

  /** The view off a terminal: one line now and then. */
  plainLine(now: number): string {
    const big = [...this.#inFlight.values()]
      .slice(0, 2)
      .map((file) =>
        file.size === undefined
          ? `${file.name} ${formatBytes(file.received)}`
          : `${file.name} ${formatBytes(file.received)} of ${formatBytes(file.size)}`,
      );
    const parts = [...this.#counts(), this.#bytesText(), ...this.#tail(now)];
    return `${this.label}: ${parts.join(', ')}${big.length > 0 ? ` (${big.join('; ')})` : ''}`;
  }
}

function bar(fraction: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}
