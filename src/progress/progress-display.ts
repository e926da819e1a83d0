/**
 * Shows the progress of a long run on stderr: a live bar (cli-progress) when stderr is a
 * terminal, and a plain line at most every `intervalMs` when it is not, so CI logs stay readable.
 */
import cliProgress from 'cli-progress';
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
  stop(snapshot: ProgressSnapshot): void;
}

export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY ? new TerminalBar(options.label, stream) : new PlainLines(options, stream);
}

class TerminalBar implements ProgressDisplay {
  readonly #bar: cliProgress.SingleBar;
  #started = false;

  constructor(label: string, stream: NodeJS.WriteStream) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | {rate}/s | elapsed {duration_formatted} | ETA {eta_formatted} {note}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(snapshot: ProgressSnapshot): void {
    const payload = { note: this.#note(snapshot), rate: this.#rate(snapshot.done) };
    if (!this.#started) {
      this.#started = true;
      this.#startedAt = Date.now();
      this.#bar.start(snapshot.total ?? 0, snapshot.done, payload);
      return;
    }
    if (snapshot.total !== undefined) this.#bar.setTotal(snapshot.total);
    this.#bar.update(snapshot.done, payload);
  }

  stop(snapshot: ProgressSnapshot): void {
    this.update(snapshot);
    this.#bar.stop();
  }

  #startedAt = Date.now();

  #rate(done: number): string {
    const seconds = (Date.now() - this.#startedAt) / 1000;
    return seconds > 0 ? (done / seconds).toFixed(done / seconds >= 100 ? 0 : 1) : '0';
  }

  #note(snapshot: ProgressSnapshot): string {
    const failed = snapshot.failed > 0 ? `| ${snapshot.failed} failed ` : '';
    return `${failed}${snapshot.note ?? ''}`.trim();
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
