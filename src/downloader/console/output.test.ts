/**
 * What `taskmill download` writes where: `--json` (and `--events`) put only JSON on stdout and
 * the human text on stderr; a failure that keeps a resumable .part file names it in the summary
 * and the report (one that cannot be resumed leaves none); `--report` into a folder that does
 * not exist is refused before any download starts.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, runCli } from '../testing/cli-runner.js';
import { type ScriptedServer, startScriptedServer } from '../testing/scripted-server.js';
import type { DownloadSummary, ItemResult } from '../types.js';

const BODY = Buffer.alloc(64 * 1024, 7);

describe('download output: JSON, kept partial files, the report path', { timeout: 60_000 }, () => {
  let server: ScriptedServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    server = await startScriptedServer({
      '/a.jpg': (_req, res) => res.writeHead(200, { 'content-length': BODY.length }).end(BODY),
      '/b.jpg': (_req, res) => res.writeHead(200, { 'content-length': BODY.length }).end(BODY),
      // Always cut short after half the bytes; offers ranges, so what arrived can be resumed later.
      '/short.jpg': (_req, res) => {
        res.writeHead(200, { 'content-length': BODY.length, 'accept-ranges': 'bytes' });
        res.write(BODY.subarray(0, BODY.length / 2), () => res.destroy());
      },
      // The same, without ranges: a rerun could not resume, so nothing is kept.
      '/no-ranges.jpg': (_req, res) => {
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, BODY.length / 2), () => res.destroy());
      },
    });
    temp = await makeTempDir('output');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('--json prints only the summary as JSON on stdout, the human summary on stderr', async () => {
    const out = join(temp.path, 'json');
    const result = await runCli([
      'download',
      `${server.url}/a.jpg`,
      `${server.url}/b.jpg`,
      '--out',
      out,
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stdout);
    const printed = JSON.parse(lines[0] as string) as {
      type: string;
      summary: DownloadSummary;
      failed: unknown[];
    };
    assert.equal(printed.type, 'summary');
    assert.equal(printed.summary.downloaded, 2);
    assert.deepEqual(printed.failed, []);
    assert.match(result.stderr, /^2 downloaded, 0 skipped, 0 failed of 2 /m);
  });

  it('--events prints one JSON line per item, then the summary', async () => {
    const out = join(temp.path, 'events');
    const result = await runCli([
      'download',
      `${server.url}/a.jpg`,
      `${server.url}/b.jpg`,
      '--out',
      out,
      '--events',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string } & Partial<ItemResult>);
    assert.deepEqual(
      lines.map((line) => line.type),
      ['item', 'item', 'summary'],
    );
    assert.deepEqual(
      lines
        .slice(0, 2)
        .map((line) => line.name)
        .sort(),
      ['a.jpg', 'b.jpg'],
    );
    assert.ok(lines.slice(0, 2).every((line) => line.outcome === 'downloaded'));
  });

  it('names a kept partial file in the summary and the report; keeps none it could not resume', async () => {
    const out = join(temp.path, 'partial');
    const report = join(temp.path, 'partial.json');
    const result = await runCli([
      'download',
      `${server.url}/short.jpg`,
      `${server.url}/no-ranges.jpg`,
      `${server.url}/a.jpg`,
      '--out',
      out,
      '--retries',
      '1',
      '--backoff',
      '1',
      '--report',
      report,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^1 downloaded, 0 skipped, 2 failed of 3 /m);
    assert.match(
      result.stdout,
      /^1 partial file kept: rerun the same command to resume: short\.jpg\.part \(32\.0 KiB\)$/m,
    );
    const written = JSON.parse(await readFile(report, 'utf8')) as {
      partFiles: { name: string; bytes: number }[];
      items: ItemResult[];
    };
    assert.deepEqual(
      written.partFiles.map(({ name, bytes }) => ({ name, bytes })),
      [{ name: 'short.jpg.part', bytes: BODY.length / 2 }],
    );
    assert.equal(written.items.find((item) => item.name === 'no-ranges.jpg')?.partFile, undefined);
    assert.deepEqual((await readdir(out)).sort(), ['a.jpg', 'short.jpg.part']);
  });

  it('refuses --report into a folder that does not exist, before downloading anything', async () => {
    const before = server.seen.length;
    const missing = join(temp.path, 'no-such-folder', 'report.json');
    const result = await runCli([
      'download',
      `${server.url}/a.jpg`,
      '--out',
      join(temp.path, 'never'),
      '--report',
      missing,
    ]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `taskmill: --report ${missing}: the folder ${join(temp.path, 'no-such-folder')} does not exist: create it first, or give a report path in an existing folder\n`,
    );
    assert.equal(server.seen.length, before, 'no request was made');
    await assert.rejects(readdir(join(temp.path, 'never')), { code: 'ENOENT' });
  });
});
