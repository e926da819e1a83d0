/**
 * What a person sees while `taskmill download` and `taskmill crawl` run, read off a real
 * pseudo-terminal (tmux): bytes grow while one large file arrives (not "0 B" until it ends),
 * the file has a line of its own, the rate follows a sliding window, the ETA waits for enough
 * samples and is then near the truth; a crawl's bar counts pages read and images done/found;
 * off a terminal, plain lines come every few seconds.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type GalleryServer, startGalleryServer } from '../../gallery-server/server.js';
import { CLI, makeTempDir, runCli } from '../testing/cli-runner.js';
import { SKIP_EXIT_STATUS_TESTS, startTerminal } from '../testing/terminal.js';

const MiB = 1 << 20;

/** `12.3 MiB` (or KiB, B) as bytes. */
function bytesOf(text: string): number {
  const match = /^([\d.]+) (B|KiB|MiB|GiB)$/.exec(text.trim());
  if (match === null) throw new Error(`not a size: ${text}`);
  const unit = { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB }[match[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
  return Number(match[1]) * unit;
}

/** Seconds in `4.20 s` or `1 min 9 s`. */
function secondsOf(text: string): number {
  const minutes = /^(\d+) min (\d+) s$/.exec(text);
  if (minutes !== null) return Number(minutes[1]) * 60 + Number(minutes[2]);
  return Number(text.replace(/ s$/, ''));
}

describe('the live progress display', { timeout: 120_000, skip: SKIP_EXIT_STATUS_TESTS }, () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    // One 20 MiB file at 4 MiB/s: a five-second download.
    server = await startGalleryServer({
      seed: 4,
      imageSize: 20 * MiB,
      bandwidth: 4 * MiB,
      pages: 3,
      perPage: 3,
    });
    temp = await makeTempDir('live');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('shows the bytes of one large file growing, its own line, and an ETA from the rate it shows', async () => {
    const out = join(temp.path, 'one');
    const began = performance.now();
    const terminal = await startTerminal([
      process.execPath,
      CLI,
      'download',
      `${server.url}/i/0.jpg`,
      '--out',
      out,
    ]);
    try {
      const top =
        /download \[[#-]+\] 0\/1 files \| ([\d.]+ [KM]?i?B) of 20\.0 MiB \| ([\d.]+ [KM]?i?B)\/s \| ETA ([^|\n]+)/;
      const readings: { at: number; bytes: number; rate: number; eta: string }[] = [];
      // Read the screen as the file arrives, until the bytes shown reach 12 MiB.
      await terminal.waitFor((screen) => {
        const match = top.exec(screen);
        if (match === null) return false;
        const bytes = bytesOf(match[1] as string);
        readings.push({
          at: performance.now() - began,
          bytes,
          rate: bytesOf(match[2] as string),
          eta: (match[3] as string).trim(),
        });
        return bytes >= 12 * MiB;
      }, 'the bytes of 0.jpg reaching 12 MiB before it ends');
      const growing = [...new Set(readings.map((r) => r.bytes))];
      assert.ok(growing.length >= 3, `the bytes shown grew: ${growing.join(', ')}`);
      for (let i = 1; i < growing.length; i++) assert.ok((growing[i] as number) > (growing[i - 1] as number));
      // No ETA from the first samples: it appears once the window has enough of them.
      const first = readings[0] as (typeof readings)[number];
      assert.ok(first.bytes < 4 * MiB || first.eta === '…', `an early reading: ${JSON.stringify(first)}`);
      assert.equal(
        readings.find((r) => r.at < 1000 && r.eta !== '…'),
        undefined,
        'an ETA before one second',
      );
      const withEta = readings.filter((r) => r.eta !== '…');
      assert.ok(withEta.length > 0, 'an ETA appeared');
      const screen = await terminal.screen();
      assert.match(screen, /^ {2}0\.jpg \[[#-]+\] [\d.]+ MiB of 20\.0 MiB \(\d+%\)$/m, screen);
      assert.equal(await terminal.exitStatus(), 0);
      // Every ETA shown is the bytes left over the rate shown beside it (the sliding window's);
      // how near that comes to the real time left is tested on a set clock (run-progress.test),
      // since here it depends on how steadily a loaded machine serves the file.
      for (const reading of withEta) {
        const expected = (20 * MiB - reading.bytes) / reading.rate;
        const said = secondsOf(reading.eta);
        assert.ok(
          Math.abs(said - expected) <= Math.max(1, 0.15 * expected),
          `ETA ${reading.eta} at ${reading.bytes} B and ${reading.rate} B/s (${expected.toFixed(1)} s left at that rate)`,
        );
      }
      assert.match(await terminal.screen(), /1 downloaded, 0 skipped, 0 failed of 1 \(20\.0 MiB in/);
    } finally {
      await terminal.close();
    }
  });

  it("shows a crawl's pages read and its images done of those found, not a full bar", async () => {
    const out = join(temp.path, 'crawl');
    const terminal = await startTerminal([
      process.execPath,
      CLI,
      'crawl',
      '--list-url',
      `${server.url}/photo/list/?page={page}`,
      '--pages',
      '1-3',
      '-c',
      '2',
      '--out',
      out,
    ]);
    try {
      const line = /crawl \[([#-]+)\] pages (\d)\/3 read \| images (\d+)\/(\d+) done \| ([\d.]+ [KM]?i?B)/;
      const seen = await terminal.waitFor((screen) => {
        const match = line.exec(screen);
        return match !== null && Number(match[4]) > 0 && bytesOf(match[5] as string) > 0;
      }, 'the crawl bar with images found and bytes arriving');
      const match = line.exec(seen) as RegExpExecArray;
      const [bar, , done, found] = [match[1] as string, match[2], Number(match[3]), Number(match[4])];
      assert.ok(done < found, `${done}/${found} images done`);
      assert.ok(bar.includes('-'), `the bar is not full: [${bar}]`);
      await terminal.keys('C-c');
      assert.equal(await terminal.exitStatus(), 130);
    } finally {
      await terminal.close();
    }
  });

  it('off a terminal, writes one plain line every few seconds with the bytes so far', async () => {
    const out = join(temp.path, 'plain');
    const result = await runCli(['download', `${server.url}/i/1.jpg`, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('download: '));
    assert.ok(lines.length >= 1, result.stderr);
    assert.match(
      lines[0] as string,
      /^download: 0\/1 files, [\d.]+ MiB of 20\.0 MiB, [\d.]+ MiB\/s, ETA [^,]+ \(1\.jpg [\d.]+ MiB of 20\.0 MiB\)$/,
    );
    assert.ok(!result.stderr.includes('\u001b['), 'no terminal codes off a terminal');
    assert.match(result.stdout, /^1 downloaded, 0 skipped, 0 failed of 1 /);
  });
});
