/**
 * Shows the progress of a long run on stderr: a live bar when stderr is a terminal, and a plain line at most every `intervalMs` when it is not, so CI logs stay readable.
 */
import { formatSeconds } from './format.js';

export interface ProgressSnapshot {
  readonly done: number;
  readonly total: number | undefined;
  readonly failed: number;
  /** Extra text shown after the counts (e.g. the last message a task reported). */
  readonly note?: string;
}

export interface ProgressDisplayOptions {
  readonly label: string;
  readonly stream?: NodeJS.WriteStream;
  /** Minimum time between plain lines when the stream is not a terminal. */
  readonly intervalMs?: number;
}

export interface ProgressDisplay {
  update(snapshot: ProgressSnapshot): void;
  /** Writes one line of text above the bar (the bar is redrawn below it), or as a plain line. */
  log(line: string): void;
  /** Draws the final state and leaves the bar; nothing is drawn after this. */
  stop(snapshot: ProgressSnapshot): void;
}

export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY ? new TerminalBar(options.label, stream) : new PlainLines(options, stream);
}

const BAR_WIDTH = 40;
/** Redraws at most this often (no timer: nothing is drawn unless something changed). */
const REDRAW_MS = 100;
/** Back to the start of the line, and clear it. */
const CLEAR_LINE = '\r\u001b[2K';

/**
 * One line at the bottom, redrawn in place (carriage return, clear line), never wider than the
 * terminal (a wrapped line could not be redrawn). Lines logged through it go above the bar;
 * after stop() it is never drawn again, so nothing lands after the shell's next prompt.
 */
class TerminalBar implements ProgressDisplay {
  readonly #label: string;
  readonly #stream: NodeJS.WriteStream;
  readonly #startedAt = performance.now();
  #last: ProgressSnapshot = { done: 0, total: undefined, failed: 0 };
  #drawnAt = Number.NEGATIVE_INFINITY;
  #drawn = false;
  #stopped = false;

  constructor(label: string, stream: NodeJS.WriteStream) {
    this.#label = label;
    this.#stream = stream;
  }

  update(snapshot: ProgressSnapshot): void {
    if (this.#stopped) return;
    this.#last = snapshot;
    const now = performance.now();
    const finished = snapshot.total !== undefined && snapshot.done >= snapshot.total;
    if (!finished && this.#drawn && now - this.#drawnAt < REDRAW_MS) return;
    this.#draw(now);
  }

  log(line: string): void {
    if (this.#stopped) {
      this.#stream.write(`${line}\n`);
      return;
    }
    this.#stream.write(`${CLEAR_LINE}${line}\n`);
    this.#drawn = false;
    this.#draw(performance.now());
  }

  stop(snapshot: ProgressSnapshot): void {
    if (this.#stopped) return;
    this.#last = snapshot;
    this.#draw(performance.now());
    this.#stopped = true;
    this.#stream.write('\n');
  }

  #draw(now: number): void {
    this.#drawnAt = now;
    this.#drawn = true;
    const columns = this.#stream.columns > 1 ? this.#stream.columns - 1 : 79;
    this.#stream.write(`${CLEAR_LINE}${this.#text(now).slice(0, columns)}`);
  }

  #text(now: number): string {
    const { done, total, failed, note } = this.#last;
    const seconds = (now - this.#startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const share = total !== undefined && total > 0 ? Math.min(1, done / total) : 0;
    const full = Math.round(share * BAR_WIDTH);
    const bar = '\u2588'.repeat(full) + '\u2591'.repeat(BAR_WIDTH - full);
    const eta = total !== undefined && rate > 0 ? formatSeconds((total - done) / rate) : '?';
    const failures = failed > 0 ? ` | ${failed} failed` : '';
    const extra = note ? ` | ${note}` : '';
    return `${this.#label} [${bar}] ${done}/${total ?? '?'} | ${rate.toFixed(rate >= 100 ? 0 : 1)}/s | elapsed ${formatSeconds(seconds)} | ETA ${eta}${failures}${extra}`;
  }
}

class PlainLines implements ProgressDisplay {
  readonly #label: string;
  readonly #stream: NodeJS.WritableStream;
  readonly #intervalMs: number;
  readonly #startedAt = performance.now();
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(options: ProgressDisplayOptions, stream: NodeJS.WritableStream) {
    this.#label = options.label;
    this.#stream = stream;
    this.#intervalMs = options.intervalMs ?? 2000;
  }

  update(snapshot: ProgressSnapshot): void {
    const now = performance.now();
    if (now - this.#lastAt < this.#intervalMs) return;
    this.#lastAt = now;
    this.#write(snapshot, now);
  }

  log(line: string): void {
    this.#stream.write(`${line}\n`);
  }

  stop(snapshot: ProgressSnapshot): void {
    this.#write(snapshot, performance.now());
  }

  #write(snapshot: ProgressSnapshot, now: number): void {
    const elapsed = (now - this.#startedAt) / 1000;
    const rate = elapsed > 0 ? snapshot.done / elapsed : 0;
    const total = snapshot.total;
    const share = total !== undefined && total > 0 ? ` (${Math.floor((snapshot.done / total) * 100)}%)` : '';
    const eta =
      total !== undefined && rate > 0 ? ` | ETA ${formatSeconds((total - snapshot.done) / rate)}` : '';
    const failed = snapshot.failed > 0 ? ` | ${snapshot.failed} failed` : '';
    const note = snapshot.note ? ` | ${snapshot.note}` : '';
    this.#stream.write(
      `${this.#label}: ${snapshot.done}/${total ?? '?'}${share} | ${rate.toFixed(rate >= 100 ? 0 : 1)}/s | elapsed ${formatSeconds(elapsed)}${eta}${failed}${note}\n`,
    );
  }
}
