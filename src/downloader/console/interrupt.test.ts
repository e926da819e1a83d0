/**
 * Ctrl-C in a real terminal (tmux `send-keys C-c`) against a slow server: the download stops
 * cleanly (downloads in flight stop and keep their .part files, the summary says how many were
 * kept and how to resume, the --report is written, exit 130); the rerun resumes those files
 * and says so apart from the skipped ones; a second Ctrl-C stops at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { imageBody } from '../../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../../gallery-server/server.js';
import { CLI, makeTempDir, runCli } from '../testing/cli-runner.js';
import { SKIP_EXIT_STATUS_TESTS, startTerminal } from '../testing/terminal.js';
import type { DownloadSummary, ItemResult } from '../types.js';

const run = promisify(execFile);
const MiB = 1 << 20;
const SEED = 12;
const SIZE = 8 * MiB;

interface Report {
  summary: DownloadSummary;
  items: ItemResult[];
  partFiles: { name: string; bytes: number }[];
}

describe('Ctrl-C during a download', { timeout: 120_000, skip: SKIP_EXIT_STATUS_TESTS }, () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    // 8 MiB at 2 MiB/s: four seconds a file, time enough to press Ctrl-C in the middle.
    server = await startGalleryServer({ seed: SEED, imageSize: SIZE, bandwidth: 2 * MiB });
    temp = await makeTempDir('interrupt');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('stops cleanly with a summary, kept .part files and the report; the rerun resumes them', async () => {
    const out = join(temp.path, 'out');
    const report = join(temp.path, 'report.json');
    await mkdir(out);
    // 3.jpg is already complete: it is skipped, on both runs.
    await writeFile(join(out, '3.jpg'), imageBody(SEED, SIZE, 3));
    const urls = [0, 1, 2, 3].map((id) => `${server.url}/i/${id}.jpg`);
    const args = ['download', ...urls, '--out', out, '-c', '2', '--report', report];
    const terminal = await startTerminal([process.execPath, CLI, ...args]);
    try {
      const inFlight = /^ {2}([01])\.jpg \[[#-]+\] ([\d.]+) (KiB|MiB) of 8\.00 MiB/gm;
      await terminal.waitFor((screen) => {
        const lines = [...screen.matchAll(inFlight)];
        return lines.length === 2 && lines.every((line) => line[3] === 'MiB' && Number(line[2]) >= 1);
      }, '0.jpg and 1.jpg with at least 1 MiB each');
      await terminal.keys('C-c');
      assert.equal(await terminal.exitStatus(), 130);
      const screen = await terminal.screen();
      assert.match(screen, /download: stopping: no new downloads, those in flight keep their \.part files/);
      assert.match(screen, /^interrupted: 0 downloaded, 1 skipped, 0 failed, \d interrupted of \d/m);
      assert.match(
        screen,
        /^2 partial files kept: rerun the same command to resume: 0\.jpg\.part \([\d.]+ MiB\), 1\.jpg\.part \([\d.]+ MiB\)$/m,
      );
    } finally {
      await terminal.close();
    }
    // The .part files hold the first bytes of their images, as the report says.
    const written = JSON.parse(await readFile(report, 'utf8')) as Report;
    assert.equal(written.summary.stopped, true);
    assert.deepEqual(
      written.partFiles.map((part) => part.name),
      ['0.jpg.part', '1.jpg.part'],
    );
    for (const id of [0, 1]) {
      const item = written.items.find((i) => i.index === id) as ItemResult;
      assert.equal(item.outcome, 'interrupted');
      const part = await readFile(join(out, `${id}.jpg.part`));
      assert.ok(part.length > 0 && part.length < SIZE);
      assert.equal(item.partBytes, part.length);
      assert.deepEqual(part, imageBody(SEED, SIZE, id).subarray(0, part.length));
    }
    assert.deepEqual((await readdir(out)).sort(), ['0.jpg.part', '1.jpg.part', '3.jpg']);

    const ranges = server.stats.rangeRequests;
    const rerun = await runCli([...args, '--quiet']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /^3 downloaded \(2 resumed\), 1 skipped, 0 failed of 4 /);
    assert.ok(server.stats.rangeRequests >= ranges + 2, 'both .part files resumed with Range');
    for (const id of [0, 1, 2, 3]) {
      assert.deepEqual(await readFile(join(out, `${id}.jpg`)), imageBody(SEED, SIZE, id));
    }
    const again = JSON.parse(await readFile(report, 'utf8')) as Report;
    assert.equal(again.summary.resumed, 2);
    assert.equal(again.summary.skipped, 1);
    assert.deepEqual(again.partFiles, []);
  });

  it('stops at once on a second Ctrl-C, while the first is stuck writing the report', async () => {
    const out = join(temp.path, 'twice');
    const report = join(temp.path, 'twice.json');
    const terminal = await startTerminal([
      process.execPath,
      CLI,
      'download',
      `${server.url}/i/5.jpg`,
      '--out',
      out,
      '--report',
      report,
    ]);
    try {
      await terminal.waitFor((screen) => /^ {2}5\.jpg \[/m.test(screen), 'the line of 5.jpg');
      // The report is written to REPORT.<pid>.tmp first: a FIFO there blocks the write (nobody reads it).
      await run('mkfifo', [`${report}.${await terminal.pid()}.tmp`]);
      await terminal.keys('C-c');
      await terminal.waitFor((screen) => /^interrupted: /m.test(screen), 'the summary of the first Ctrl-C');
      await terminal.keys('C-c');
      assert.equal(await terminal.exitStatus(), 130);
      const screen = await terminal.screen();
      assert.match(screen, /download: stopped at once: rerun the same command to resume/);
    } finally {
      await terminal.close();
    }
    await assert.rejects(stat(report), { code: 'ENOENT' });
    const part = await stat(join(out, '5.jpg.part'));
    assert.ok(part.size > 0 && part.size < SIZE);
  });
});
