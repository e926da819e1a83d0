/**
 * A chunk of a redis `map` (job data with `items`, no `args`) as the dashboard serves it, over
 * real HTTP from a real dashboard, against a real redis-server and a real worker process: the
 * job's page shows the chunk's items (not null), the list row previews them, and the download
 * gives them whole. A plain job still shows its arguments.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tasks } from '../core/task.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { spawnWorkerProcess, type WorkerProcess } from '../distributed/testing/worker-process.js';
import { Pool } from '../pool/pool.js';
import type * as DashboardTasks from './fixtures/dashboard-tasks.js';
import type { JobView } from './job-view.js';
import type { JobRow } from './redis-rows.js';
import { type Dashboard, startDashboard } from './server.js';

const TASKS = new URL('./fixtures/dashboard-tasks.js', import.meta.url);
const t = tasks<typeof DashboardTasks>(TASKS);
const QUEUE = 'chunks';

let server: RedisServer;
let worker: WorkerProcess;
let pool: Pool;
let dashboard: Dashboard;

before(async () => {
  server = await startRedisServer();
  worker = await spawnWorkerProcess({ tasks: [TASKS.pathname], queue: QUEUE, connection: server.url });
  pool = new Pool({ backend: 'redis', connection: server.url, queue: QUEUE });
  dashboard = await startDashboard({ connection: server.url, port: 0 });
});

after(async () => {
  await dashboard?.close();
  await pool?.terminate();
  await worker?.stop();
  await server?.stop();
});

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(new URL(path, dashboard.url), { signal: AbortSignal.timeout(20_000) });
  assert.equal(response.status, 200, `GET ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** Every completed job's list row, page by page. */
async function completedRows(): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  for (let page = 0; ; page++) {
    const list = await getJson<{ rows: JobRow[]; total: number }>(
      `/api/queues/${QUEUE}/jobs?state=completed&size=100&page=${page}`,
    );
    rows.push(...list.rows);
    if (list.rows.length === 0 || rows.length >= list.total) return rows;
  }
}

describe('dashboard: chunks of a redis map', { timeout: 120_000 }, () => {
  it("shows a chunk's items on its page, in its list row and in its download", async () => {
    // One item past 4 KiB: its chunk's list preview is cut from the stored JSON, not re-encoded.
    const items = Array.from({ length: 600 }, (_, i) => (i === 0 ? `big-${'x'.repeat(6000)}` : `item-${i}`));
    assert.deepEqual(await pool.map(t.echo, items), items);
    const rows = await completedRows();
    assert.ok(
      rows.length >= 1 && rows.length < items.length,
      `${rows.length} jobs for ${items.length} items`,
    );

    const seen: unknown[] = [];
    let biggest = 0;
    for (const row of rows) {
      const view = await getJson<JobView>(`/api/queues/${QUEUE}/jobs/${row.id}`);
      assert.ok(view.chunk !== undefined, `job ${row.id} is not shown as a chunk: ${JSON.stringify(view)}`);
      assert.equal(view.chunk.spread, false);
      assert.doesNotMatch(view.args.text, /^(null|undefined)$/);
      const download = await fetch(
        new URL(`/api/queues/${QUEUE}/jobs/${row.id}/download?part=args`, dashboard.url),
      );
      assert.equal(download.status, 200);
      const whole = (await download.json()) as unknown[];
      assert.ok(Array.isArray(whole), `the download of job ${row.id} is not a list`);
      assert.equal(whole.length, view.chunk.items);
      // The page's text names the first item; the list row previews the start of the list.
      const first = String(whole[0]).slice(0, 40);
      assert.ok(view.args.text.includes(`'${first}`), view.args.text.slice(0, 200));
      assert.ok(row.argsPreview.startsWith(`["${first}`), row.argsPreview.slice(0, 200));
      seen.push(...whole);
      biggest = Math.max(biggest, whole.length);
    }
    assert.ok(biggest > 1, 'no chunk carried more than one item');
    assert.deepEqual(
      [...seen].sort(),
      [...items].sort(),
      'the chunks shown hold every item of the map, once each',
    );
  });

  it('still shows the arguments of a plain job, with no chunk', async () => {
    const before = new Set((await completedRows()).map((row) => row.id));
    assert.deepEqual(await pool.apply(t.echo, { plain: 'job' }), { plain: 'job' });
    const row = (await completedRows()).find((r) => !before.has(r.id));
    assert.ok(row !== undefined, 'the plain job is not listed');
    const view = await getJson<JobView>(`/api/queues/${QUEUE}/jobs/${row.id}`);
    assert.equal(view.chunk, undefined);
    assert.match(view.args.text, /plain: 'job'/);
    assert.match(row.argsPreview, /"plain":"job"/);
  });
});
