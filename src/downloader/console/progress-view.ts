/**
 * Shows a run's progress on stderr. On a terminal: a few live lines redrawn in place several
 * times a second (the run's bar, then one line per large file in flight); messages go above
 * them through log(), so nothing overwrites anything. Off a terminal (logs, CI, pipes): one
 * plain line every `everyMs` (default 3 s), and messages as they come.
 */
import type { CrawlEvent } from '../crawl.js';
import type { DownloadEvent } from '../types.js';
import { type CrawlShape, RunProgress } from './run-progress.js';

export interface ProgressView {
  update(event: DownloadEvent | CrawlEvent): void;
  /** Writes a message line without garbling the live lines. */
  log(text: string): void;
  /** Clears the live lines and stops redrawing (idempotent). */
  stop(): void;
}

export interface ProgressViewOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Off a terminal: time between plain lines. */
  readonly everyMs?: number;
  /** A crawl: pages and images instead of files. */
  readonly crawl?: CrawlShape;
}

const REDRAW_MS = 200;
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export function createProgressView(label: string, options: ProgressViewOptions = {}): ProgressView {
  const stream = options.stream ?? process.stderr;
  const progress = new RunProgress(label, options.crawl);
  progress.sample(performance.now());
  return stream.isTTY ? terminalView(progress, stream) : plainView(progress, stream, options.everyMs ?? 3000);
}

function terminalView(progress: RunProgress, stream: NodeJS.WriteStream): ProgressView {
  let drawn = 0;
  let stopped = false;
  /**
   * Replaces the lines drawn last with `next`, erasing line by line (never "clear to the end of
   * the screen", which some terminals, tmux among them, take as a whole-screen clear to scroll
   * away); leaves the cursor at the end of the last new line, or where the first old one began.
   */
  const paint = (next: readonly string[]): string => {
    let out = drawn > 1 ? `\r\x1b[${drawn - 1}A` : '\r';
    const rows = Math.max(drawn, next.length);
    for (let row = 0; row < rows; row++) out += `${row > 0 ? '\n' : ''}\x1b[2K${next[row] ?? ''}`;
    const back = rows - Math.max(next.length, 1);
    if (back > 0) out += `\x1b[${back}A\r`;
    if (back > 0 && next.length > 0) out += `\x1b[2K${next[next.length - 1]}`;
    drawn = next.length;
    return out;
  };
  const frame = () => {
    // Room is left at the end of the line for the terminal's own "^C" echo, which must not wrap.
    const width = Math.max(20, (stream.columns || 80) - 3);
    return paint(progress.lines(performance.now()).map((line) => fit(line, width)));
  };
  const timer = setInterval(() => {
    progress.sample(performance.now());
    stream.write(frame());
  }, REDRAW_MS);
  timer.unref();
  stream.write(HIDE_CURSOR);
  return {
    update(event) {
      progress.update(event);
    },
    log(text) {
      if (stopped) stream.write(`${text}\n`);
      else {
        const erased = paint([]);
        stream.write(`${erased}${text}\n${frame()}`);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(`${paint([])}${SHOW_CURSOR}`);
    },
  };
}

function plainView(progress: RunProgress, stream: NodeJS.WriteStream, everyMs: number): ProgressView {
  let last = performance.now();
  const timer = setInterval(
    () => {
      const now = performance.now();
      progress.sample(now);
      if (now - last >= everyMs) {
        last = now;
        stream.write(`${progress.plainLine(now)}\n`);
      }
    },
    Math.min(500, everyMs),
  );
  timer.unref();
  return {
    update(event) {
      progress.update(event);
    },
    log(text) {
      stream.write(`${text}\n`);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** `line` cut to `width` characters, so that it never wraps (a wrapped line breaks the redraw). */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
}
