/**
 * Shows a run's progress on stderr: a cli-progress bar (files, bytes, rate, ETA) on a terminal,
 * plain lines every few seconds otherwise (logs, CI, pipes).
 */
import cliProgress from 'cli-progress';
import type { DownloadEvent } from '../types.js';
import { formatBytes, formatSeconds } from './format.js';

export interface ProgressView {
  update(event: DownloadEvent): void;
  stop(): void;
}

export function createProgressView(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  everyMs = 2000,
): ProgressView {
  const began = performance.now();
  let total: number | undefined;
  let files = 0;
  let failed = 0;
  let bytes = 0;
  const itemBytes = new Map<number, number>();
  const numbers = () => {
    const seconds = (performance.now() - began) / 1000;
    const rate = bytes / Math.max(seconds, 0.001);
    const eta = total !== undefined && files > 0 ? ((total - files) * seconds) / files : Number.NaN;
    return { seconds, rate, eta };
  };
  const payload = () => {
    const { rate, eta } = numbers();
    return {
      bytes: formatBytes(bytes),
      rate: `${formatBytes(rate)}/s`,
      etaText: Number.isNaN(eta) ? '?' : formatSeconds(eta),
      failed: failed > 0 ? ` | ${failed} failed` : '',
      of: total === undefined ? '' : `/${total}`,
    };
  };
  const count = (event: DownloadEvent) => {
    if (event.type === 'start') total = event.total;
    else if (event.type === 'bytes') {
      bytes += event.bytes;
      itemBytes.set(event.index, (itemBytes.get(event.index) ?? 0) + event.bytes);
    } else if (event.type === 'item') {
      files++;
      if (event.result.outcome === 'failed') failed++;
      const seen = itemBytes.get(event.result.index) ?? 0;
      itemBytes.delete(event.result.index);
      bytes += Math.max(0, event.result.bytes - seen);
    }
  };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} |{bar}| {value}{of} files | {bytes} | {rate} | ETA {etaText}{failed}`,
        stream,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(event) {
        count(event);
        if (!started) {
          bar.start(total ?? 0, 0, payload());
          started = true;
        }
        if (event.type === 'start' && total !== undefined) bar.setTotal(total);
        if (total === undefined) bar.setTotal(files);
        bar.update(files, payload());
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = performance.now();
  return {
    update(event) {
      count(event);
      const now = performance.now();
      if (now - last >= everyMs && event.type !== 'end') {
        last = now;
        const p = payload();
        stream.write(`${label}: ${files}${p.of} files, ${p.bytes}, ${p.rate}, ETA ${p.etaText}${p.failed}\n`);
      }
    },
    stop() {},
  };
}
