/**
 * The numbers behind the progress display, on a clock the test sets: the rate follows a
 * sliding window (a stall shows as a falling rate, a slow start does not skew it for ever), no
 * ETA until the window has enough samples, and the ETA then comes from the windowed rate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemResult } from '../types.js';
import { RateWindow } from './rate-window.js';
import { ETA_AFTER_MS, RunProgress } from './run-progress.js';

const MiB = 1 << 20;

function done(index: number, bytes: number): ItemResult {
  return {
    index,
    url: `http://x/${index}`,
    name: `${index}.jpg`,
    outcome: 'downloaded',
    bytes,
    size: bytes,
    attempts: 1,
    ms: 1,
  };
}

describe('RateWindow', () => {
  it('measures the growth over the last window only', () => {
    const rate = new RateWindow(5000);
    // 10 s at 1 MiB/s, then 10 s at 4 MiB/s: the window sees only the recent speed.
    for (let t = 0; t <= 20_000; t += 250)
      rate.sample(t, t <= 10_000 ? (t / 1000) * MiB : 10 * MiB + ((t - 10_000) / 1000) * 4 * MiB);
    assert.ok(Math.abs(rate.perSecond() - 4 * MiB) < 0.05 * MiB, String(rate.perSecond()));
    // A stall: the rate falls to nothing within the window.
    const stalled = 50 * MiB;
    for (let t = 20_250; t <= 26_000; t += 250) rate.sample(t, stalled);
    assert.equal(rate.perSecond(), 0);
  });
});

describe('RunProgress', () => {
  it('gives no ETA until the window has enough samples, then one from the windowed rate', () => {
    const progress = new RunProgress('download');
    progress.update({ type: 'start', total: 1, backend: 'async', outDir: '/o' });
    progress.update({ type: 'bytes', index: 0, name: '0.jpg', bytes: 0, size: 20 * MiB, from: 0 });
    let received = 0;
    const etas: { at: number; eta: number | undefined }[] = [];
    for (let t = 0; t <= 4000; t += 250) {
      // 2 MiB/s, after a silent first second (connection set-up, latency).
      const target = t < 1000 ? 0 : ((t - 1000) / 1000) * 2 * MiB;
      progress.update({ type: 'bytes', index: 0, name: '0.jpg', bytes: target - received });
      received = target;
      progress.sample(t);
      etas.push({ at: t, eta: progress.eta(t) });
    }
    assert.ok(
      etas.filter((e) => e.at < ETA_AFTER_MS).every((e) => e.eta === undefined),
      'no ETA from the first samples',
    );
    const last = etas[etas.length - 1] as { at: number; eta: number | undefined };
    // 6 MiB received at 4 s, 14 MiB to go at 2 MiB/s: 7 s (a whole-run average would say 9.3 s).
    assert.ok(last.eta !== undefined && Math.abs(last.eta - 7) < 0.5, String(last.eta));
    assert.match(
      progress.lines(4000)[0] as string,
      /0\/1 files \| 6\.00 MiB of 20\.0 MiB \| 2\.00 MiB\/s \| ETA 7\.\d\d s/,
    );
    assert.match(
      progress.lines(4000)[1] as string,
      /^ {2}0\.jpg \[#{6}-{14}\] 6\.00 MiB of 20\.0 MiB \(30%\)$/,
    );
  });

  it('estimates what is left of many small files from the sizes seen so far', () => {
    const progress = new RunProgress('download');
    progress.update({ type: 'start', total: 100, backend: 'async', outDir: '/o' });
    for (let t = 0, i = 0; t <= 3000; t += 250) {
      // Five 100 KiB files done every 250 ms.
      for (let k = 0; k < 5; k++) progress.update({ type: 'item', result: done(i++, 100 * 1024) });
      progress.sample(t);
    }
    // 65 done, 35 left at 20 files/s: 1.75 s.
    const eta = progress.eta(3000);
    assert.ok(eta !== undefined && Math.abs(eta - 1.75) < 0.2, String(eta));
  });

  it("shows a crawl's pages read and its images done of those found", () => {
    const progress = new RunProgress('crawl', { pages: 10 });
    progress.update({ type: 'start', total: undefined, backend: 'async', outDir: '/o' });
    progress.update({ type: 'page', page: 1, url: 'http://x/1', images: 20 });
    progress.update({ type: 'page', page: 2, url: 'http://x/2', images: 20 });
    for (let i = 0; i < 10; i++) progress.update({ type: 'item', result: done(i, 1000) });
    progress.sample(0);
    assert.match(
      progress.lines(0)[0] as string,
      /^crawl \[#{5}-{15}\] pages 2\/10 read \| images 10\/40 done \| /,
    );
  });
});
