/**
 * A download killed with SIGKILL midway, then run again: no corrupt file, complete files are not
 * fetched again, partial ones are resumed with Range requests.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pollUntil } from '../core/testing/poll.js';
import { imageBody } from '../gallery-server/image-bodies.js';
import { type GalleryServer, startGalleryServer } from '../gallery-server/server.js';
import { makeTempDir, runCli, startCli } from './testing/cli-runner.js';
import type { ItemResult } from './types.js';

const FILES = 8;
const SIZE = 1 << 20;
const SEED = 9;

/** Polls the folder until `ready(entries)` holds; the test waits on the files, never on the clock. */
function waitFor(
  dir: string,
  ready: (entries: Map<string, number>) => boolean,
): Promise<Map<string, number>> {
  return pollUntil(
    async () => {
      const entries = new Map<string, number>();
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (info !== undefined) entries.set(name, info.size);
      }
      return ready(entries) ? entries : undefined;
    },
    { what: `the expected files in ${dir}`, everyMs: 10 },
  );
}

describe('download killed with SIGKILL and run again', () => {
  let server: GalleryServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  before(async () => {
    // Slow responses (1 MiB at 1 MiB/s each) so the kill lands mid-way.
    server = await startGalleryServer({ seed: SEED, imageSize: SIZE, bandwidth: SIZE });
    temp = await makeTempDir('resume');
  });
  after(async () => {
    await server.close();
    await temp.remove();
  });

  it('leaves no corrupt file, skips complete files and resumes partial ones', async () => {
    const out = join(temp.path, 'out');
    const urls = Array.from({ length: FILES }, (_, id) => `${server.url}/i/${id}.jpg`);
    const args = ['download', ...urls, '--out', out, '--concurrency', '3', '--quiet'];
    const child = startCli(args);
    const exited = once(child, 'exit');
    const seen = await waitFor(
      out,
      (entries) =>
        [...entries.keys()].some((name) => name.endsWith('.jpg')) &&
        [...entries].some(([name, size]) => name.endsWith('.part') && size > 0),
    );
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.equal(signal, 'SIGKILL', `the first run finished before it was killed (exit ${String(code)})`);

    // Right after the kill: every complete-looking file is complete and identical.
    const afterKill = await readdir(out);
    const complete = afterKill.filter((name) => name.endsWith('.jpg'));
    const partial: string[] = [];
    for (const name of afterKill.filter((n) => n.endsWith('.part'))) {
      if ((await stat(join(out, name))).size > 0) partial.push(name);
    }
    assert.ok(complete.length >= 1 && partial.length >= 1, `${seen.size} entries seen`);
    for (const name of complete) {
      assert.deepEqual(await readFile(join(out, name)), imageBody(SEED, SIZE, Number.parseInt(name, 10)));
    }
    const requestsBefore = new Map(urls.map((_, id) => [id, server.stats.requestsFor(id)]));
    const rangesBefore = server.stats.rangeRequests;

    const report = join(temp.path, 'report.json');
    const second = await runCli([...args, '--report', report]);
    assert.equal(second.code, 0, second.stderr);
    for (const name of complete) {
      const id = Number.parseInt(name, 10);
      assert.equal(server.stats.requestsFor(id), requestsBefore.get(id), `${name} was fetched again`);
    }
    assert.ok(
      server.stats.rangeRequests >= rangesBefore + partial.length,
      'partial files resumed with Range',
    );
    const items = (JSON.parse(await readFile(report, 'utf8')) as { items: ItemResult[] }).items;
    for (const name of partial) {
      const item = items.find((i) => `${i.name}.part` === name);
      assert.ok(item !== undefined && item.outcome === 'downloaded' && (item.resumedFrom ?? 0) > 0, name);
      assert.equal(item.verified, true);
    }
    assert.equal(items.filter((i) => i.outcome === 'skipped').length, complete.length);

    const final = await readdir(out);
    assert.deepEqual(final.sort(), urls.map((_, id) => `${id}.jpg`).sort());
    for (const name of final) {
      assert.deepEqual(await readFile(join(out, name)), imageBody(SEED, SIZE, Number.parseInt(name, 10)));
    }
  });
});
