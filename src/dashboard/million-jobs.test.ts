/**
 * The dashboard with 1,000,000 completed jobs in Redis (written straight into BullMQ's layout by
 * a Lua script, 100,000 per call): the first and the last page of the list, a search by id and
 * by task name, and the page itself in Chromium all answer, each in one bounded query. Their
 * times are printed as test diagnostics (speed is judged in docs, not asserted here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { type Dashboard, startDashboard } from './server.js';
import { launchBrowser, type TestBrowser } from './testing/browser.js';

const JOBS = 1_000_000;
const CHUNK = 100_000;
const QUEUE = 'big';
const WAIT = { timeout: 60_000 };

declare const document: { querySelectorAll(selector: string): ArrayLike<unknown> };

// Jobs from..to, completed at base+i: the hash BullMQ keeps and the completed set's entry.
const FILL = `
local prefix, completed = KEYS[1], KEYS[2]
local from, to, base = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = from, to do
  local id = tostring(i)
  local at = tostring(base + i)
  redis.call('HSET', prefix .. id, 'name', 'bulk#square', 'data', '{"task":"bulk#square","args":[' .. id .. ']}',
    'opts', '{"attempts":1}', 'timestamp', at, 'processedOn', at, 'finishedOn', at,
    'returnvalue', tostring(i * i), 'attemptsMade', '1')
  redis.call('ZADD', completed, base + i, id)
end
return to - from + 1
`;

let server: RedisServer;
let dashboard: Dashboard;
let browser: TestBrowser;

before(async () => {
  server = await startRedisServer();
  const client = new Redis(server.url);
  const base = Date.now() - JOBS;
  for (let from = 1; from <= JOBS; from += CHUNK) {
    await client.eval(FILL, 2, `bull:${QUEUE}:`, `bull:${QUEUE}:completed`, from, from + CHUNK - 1, base);
  }
  assert.equal(await client.zcard(`bull:${QUEUE}:completed`), JOBS);
  client.disconnect();
  dashboard = await startDashboard({ connection: server.url, port: 0, queues: [QUEUE], refreshMs: 500 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await dashboard?.close();
  await server?.stop();
});

async function timedJson(path: string): Promise<{ ms: number; body: Record<string, unknown> }> {
  const started = performance.now();
  const response = await fetch(`${dashboard.url}${path}`);
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, 200, JSON.stringify(body));
  return { ms: performance.now() - started, body };
}

describe('1,000,000 completed jobs', { timeout: 300_000 }, () => {
  it('counts, first and last page, search by id and by name: bounded queries', async (t) => {
    const state = await timedJson('api/state');
    const queue = (state.body.queues as { name: string; counts: { completed: number } }[]).find(
      (q) => q.name === QUEUE,
    );
    assert.equal(queue?.counts.completed, JOBS);
    const first = await timedJson(`api/queues/${QUEUE}/jobs?state=completed&page=0&size=25`);
    const rows = first.body.rows as { id: string; task: string; resultPreview: string }[];
    assert.equal(first.body.total, JOBS);
    assert.deepEqual(
      rows.map((r) => r.id),
      Array.from({ length: 25 }, (_, i) => String(JOBS - i)),
    );
    assert.equal(rows[0]?.resultPreview, String(JOBS * JOBS));
    const lastPage = JOBS / 25 - 1;
    const last = await timedJson(`api/queues/${QUEUE}/jobs?state=completed&page=${lastPage}&size=25`);
    assert.equal((last.body.rows as { id: string }[]).at(-1)?.id, '1');
    const byId = await timedJson(`api/queues/${QUEUE}/jobs?state=completed&q=500000`);
    assert.deepEqual(
      (byId.body.rows as { id: string }[]).map((r) => r.id),
      ['500000'],
    );
    const byName = await timedJson(`api/queues/${QUEUE}/jobs?state=completed&q=square`);
    assert.equal((byName.body.rows as unknown[]).length, 25);
    assert.equal(byName.body.searched, 2000);
    const job = await timedJson(`api/queues/${QUEUE}/jobs/123456`);
    assert.equal(job.body.task, 'bulk#square');
    t.diagnostic(
      `1M completed jobs, API ms: state ${state.ms.toFixed(1)}, first page ${first.ms.toFixed(1)}, last page ${last.ms.toFixed(1)}, ` +
        `search by id ${byId.ms.toFixed(1)}, search by name (2,000 newest) ${byName.ms.toFixed(1)}, one job ${job.ms.toFixed(1)}`,
    );
  });

  it('the page loads the newest jobs, and the last page, in Chromium', async (t) => {
    const page = await browser.context.newPage();
    const started = performance.now();
    await page.goto(`${dashboard.url}#/jobs/${QUEUE}/completed`);
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-job]').length === 25,
      undefined,
      WAIT,
    );
    const firstMs = performance.now() - started;
    assert.equal(await page.locator('tr[data-job]').first().getAttribute('data-job'), String(JOBS));
    assert.match(await page.locator('#jobs').innerText(), /1,000,000 completed job/);
    const deep = performance.now();
    await page.goto(`${dashboard.url}#/jobs/${QUEUE}/completed?page=${JOBS / 25 - 1}`);
    await page.waitForSelector('tr[data-job="1"]', WAIT);
    const lastMs = performance.now() - deep;
    const overview = performance.now();
    await page.goto(`${dashboard.url}#/`);
    await page.waitForSelector(`#queues tr[data-key="${QUEUE}"] td.q-completed`, WAIT);
    assert.equal(
      await page.locator(`#queues tr[data-key="${QUEUE}"] td.q-completed`).innerText(),
      '1,000,000',
    );
    const overviewMs = performance.now() - overview;
    t.diagnostic(
      `1M completed jobs, Chromium ms: job list (first page) ${firstMs.toFixed(0)}, last page ${lastMs.toFixed(0)}, overview ${overviewMs.toFixed(0)}`,
    );
    await page.close();
  });
});
