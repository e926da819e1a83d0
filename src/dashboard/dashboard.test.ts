/**
 * The dashboard in a real headless Chromium, against a real redis-server and real worker
 * processes: live counts without reloads, retrying a failed job from its page, arguments shown
 * as text, big payloads cut with a download, workers shown gone when they stop heartbeating,
 * exposed local pools, and the safety rules (loopback by default, token and Origin on POSTs).
 * With TASKMILL_SCREENSHOTS=<dir> it saves screenshots of the main views there.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { tasks } from '../core/task.js';
import { type RedisServer, startRedisServer } from '../distributed/testing/redis-server.js';
import { spawnWorkerProcess, type WorkerProcess } from '../distributed/testing/worker-process.js';
import { Pool } from '../pool/pool.js';
import type * as DashboardTasks from './fixtures/dashboard-tasks.js';
import { DashboardSecurityError } from './security.js';
import { type Dashboard, startDashboard } from './server.js';
import { launchBrowser, type TestBrowser } from './testing/browser.js';

// The little of the DOM the page functions below use (the project compiles without DOM types).
interface Node_ {
  readonly textContent: string | null;
  querySelector(selector: string): Node_ | null;
}
declare const window: Record<string, unknown>;
declare const document: {
  querySelector(s: string): Node_ | null;
  querySelectorAll(s: string): ArrayLike<Node_>;
};

const TASKS = new URL('./fixtures/dashboard-tasks.js', import.meta.url);
const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const t = tasks<typeof DashboardTasks>(TASKS);
const QUEUE = 'dash';
const SHOTS = process.env.TASKMILL_SCREENSHOTS;
const WAIT = { timeout: 20_000 };

let server: RedisServer;
let dashboard: Dashboard;
let browser: TestBrowser;
let workers: WorkerProcess[] = [];
let pool: Pool;
let dir: string;

before(async () => {
  server = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'taskmill-dashboard-'));
  workers = await Promise.all(
    [1, 2].map(() =>
      spawnWorkerProcess({
        tasks: [TASKS.pathname],
        queue: QUEUE,
        connection: server.url,
        concurrency: 4,
        heartbeatInterval: 250,
      }),
    ),
  );
  pool = new Pool({ backend: 'redis', connection: server.url, queue: QUEUE });
  dashboard = await startDashboard({ connection: server.url, port: 0, refreshMs: 200 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await dashboard?.close();
  await pool?.terminate();
  await Promise.all(workers.map((w) => w.stop()));
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function open(hash = '#/'): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${dashboard.url}${hash}`);
  await page.waitForSelector('#live.on', WAIT);
  return page;
}

async function waitForText(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  await page.waitForFunction(
    ([sel, pattern, flags]) => {
      const text = document.querySelector(sel as string)?.textContent ?? '';
      return new RegExp(pattern as string, flags as string).test(text);
    },
    [
      selector,
      typeof expected === 'string' ? expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : expected.source,
      typeof expected === 'string' ? '' : expected.flags,
    ],
    WAIT,
  );
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS === undefined) return;
  await page.waitForTimeout(300); // let the chart draw
  await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: true });
}

describe('dashboard in Chromium', { timeout: 120_000 }, () => {
  it('shows queue counts that update live, without reloading the page', async () => {
    await pool.map(t.square, [1, 2, 3]);
    const page = await open();
    await page.evaluate(() => {
      window.stayed = true;
    });
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-completed`, '3');
    const results = await pool.map(
      t.square,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.equal(results.length, 40);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-completed`, /^43$/);
    assert.equal(await page.evaluate(() => window.stayed), true);
    // Both workers are listed, heartbeating, with what they did.
    await page.waitForFunction(
      () => document.querySelectorAll('#workers td.w-status .badge.up').length === 2,
      undefined,
      WAIT,
    );
    const done = await page.locator('#workers td.w-done').allInnerTexts();
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#workers td.w-done')).reduce(
          (s, td) => s + Number(td.textContent),
          0,
        ) === 43,
      undefined,
      WAIT,
    );
    assert.equal(done.length, 2);
    if (SHOTS !== undefined) {
      // Some traffic for the chart, and a local pool beside the queue.
      const local = new Pool({ backend: 'threads', workers: 2 });
      const exposure = local.expose({ dashboard, name: 'thumbnails' });
      for (let round = 0; round < 12; round++) {
        await Promise.all([
          pool.map(
            t.sleep,
            Array.from({ length: 30 + round * 10 }, () => 5),
          ),
          local.map(
            t.square,
            Array.from({ length: 2000 }, (_, i) => i),
          ),
        ]);
      }
      await page.waitForFunction(
        () => document.querySelectorAll('#pools tr[data-key]').length === 1,
        undefined,
        WAIT,
      );
      await shot(page, 'overview');
      await exposure.stop();
      await local.terminate();
    }
    await page.close();
  });

  it('shows a failed job with its error, cause and attempts; Retry runs it again until it completes', async () => {
    const marker = join(dir, 'fails-once');
    const job = await pool.enqueue(t.failsOnce, [marker]);
    await assert.rejects(job.get(), { code: 'E_FIRST_TRY' });
    const page = await open(`#/jobs/${QUEUE}/failed`);
    await page.waitForSelector(`tr[data-job="${job.id}"]`, WAIT);
    await shot(page, 'jobs');
    await page.click(`tr[data-job="${job.id}"] a`);
    await waitForText(page, '#job-state', 'failed');
    const error = await page.locator('#job-error').innerText();
    assert.match(error, /FirstTryError/);
    assert.match(error, /E_FIRST_TRY/);
    assert.match(error, /the first try fails/);
    assert.match(error, /caused by RangeError/);
    assert.match(error, /the marker file was missing/);
    assert.match(await page.locator('#job-attempts').innerText(), /failed/);
    await shot(page, 'job');
    await page.click('#job-retry');
    await waitForText(page, '#job-state', 'completed');
    await waitForText(page, '.payload-result', "'second try worked'");
    await page.waitForFunction(
      () => document.querySelectorAll('#job-attempts tbody tr').length === 2,
      undefined,
      WAIT,
    );
    const attempts = await page.locator('#job-attempts tbody tr').allInnerTexts();
    assert.match(attempts[0] as string, /failed/);
    assert.match(attempts[1] as string, /completed/);
    await page.close();
  });

  it('shows a <script> argument as text, and cuts big payloads with a download link', async () => {
    const hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><b>bold</b>';
    const small = await pool.enqueue(t.echo, [hostile]);
    await small.get();
    const page = await open(`#/job/${QUEUE}/${encodeURIComponent(small.id)}`);
    await waitForText(page, '.payload-args', '<script>window.pwned = 1</script>');
    assert.equal(await page.locator('.payload-args b, .payload-args script, .payload-args img').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.match(await page.locator('.payload-result').innerText(), /<b>bold<\/b>/);

    const big = 'x'.repeat(200_000);
    const large = await pool.enqueue(t.echo, [big]);
    await large.get();
    await page.goto(`${dashboard.url}#/job/${QUEUE}/${encodeURIComponent(large.id)}`);
    await waitForText(page, '#job-state', 'completed');
    const shown = await page.locator('.payload-args').innerText();
    assert.ok(shown.length < 20_000, `shown ${shown.length} characters`);
    const link = page.locator('a[href*="download?part=args"]');
    assert.equal(await link.count(), 1);
    const href = (await link.getAttribute('href')) as string;
    const whole = await page.evaluate((url) => fetch(url).then((r) => r.json()), href);
    assert.deepEqual(whole, [big]);
    await page.close();
  });

  it('finds jobs by task name and by id', async () => {
    const page = await open(`#/jobs/${QUEUE}/completed?q=echo`);
    await page.waitForSelector('tr[data-job]', WAIT);
    const tasksShown = await page.locator('tr[data-job] td:nth-child(2)').allInnerTexts();
    assert.ok(tasksShown.length >= 2);
    for (const name of tasksShown) assert.match(name, /echo/);
    await page.close();
  });

  it('shows an exposed local pool: backend, workers, throughput and latency', async () => {
    const local = new Pool({ backend: 'threads', workers: 2 });
    const exposure = local.expose({ dashboard, name: 'image-resizer' });
    try {
      await local.map(
        t.square,
        Array.from({ length: 500 }, (_, i) => i),
      );
      const page = await open();
      await waitForText(page, '#pools tr[data-key="image-resizer"] td.p-completed', /^500$/);
      const row = await page.locator('#pools tr[data-key="image-resizer"]').innerText();
      assert.match(row, /threads/);
      assert.match(row, /dashboard-tasks#square: [\d.]+ \/ [\d.]+ \/ [\d.]+/);
      await shot(page, 'pools');
      await page.close();
    } finally {
      await exposure.stop();
      await local.terminate();
    }
  });

  it('shows a worker that stops heartbeating as gone', async () => {
    const victim = workers[1] as WorkerProcess;
    const page = await open();
    await page.waitForFunction(
      () => document.querySelectorAll('#workers td.w-status .badge.up').length === 2,
      undefined,
      WAIT,
    );
    // The whole host at once (the worker and the process running its tasks).
    victim.killHost();
    await victim.exited;
    await page.waitForFunction(
      (pid) =>
        Array.from(document.querySelectorAll('#workers tr')).some(
          (tr) => tr.textContent?.includes(String(pid)) && tr.querySelector('.badge.gone') !== null,
        ),
      victim.pid,
      WAIT,
    );
    await page.close();
  });

  it('refuses a POST without the token, or from another origin, and accepts the page’s own', async () => {
    const page = await open();
    const statuses = await page.evaluate(
      async ([queue, token]) => {
        const url = `/api/queues/${queue}/pause`;
        const without = await fetch(url, { method: 'POST' });
        const wrong = await fetch(url, { method: 'POST', headers: { 'x-taskmill-token': 'not-the-token' } });
        return [without.status, wrong.status, String(token).length];
      },
      [QUEUE, dashboard.token],
    );
    assert.deepEqual(statuses.slice(0, 2), [403, 403]);
    const foreign = await fetch(`${dashboard.url}api/queues/${QUEUE}/pause`, {
      method: 'POST',
      headers: { 'x-taskmill-token': dashboard.token, origin: 'http://evil.example' },
    });
    assert.equal(foreign.status, 403);
    // DNS rebinding: a page of another name that resolves to 127.0.0.1 gets nothing.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: dashboard.port,
          path: '/api/state',
          headers: { host: `evil.example:${dashboard.port}` },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end();
    });
    assert.equal(rebinding, 421);
    // A queue's own keys are not jobs: they can be neither shown nor removed.
    for (const id of ['meta', 'wait', 'x:y']) {
      const shown = await fetch(`${dashboard.url}api/queues/${QUEUE}/jobs/${encodeURIComponent(id)}`);
      assert.equal(shown.status, 400, id);
      const removed = await fetch(
        `${dashboard.url}api/queues/${QUEUE}/jobs/${encodeURIComponent(id)}/remove`,
        {
          method: 'POST',
          headers: { 'x-taskmill-token': dashboard.token },
        },
      );
      assert.equal(removed.status, 400, id);
    }
    assert.equal((await dashboard.state()).queues.find((q) => q.name === QUEUE)?.paused, false);
    await page.click(`#queues tr[data-key="${QUEUE}"] button[data-action="pause"]`);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-state`, 'paused');
    await page.click(`#queues tr[data-key="${QUEUE}"] button[data-action="resume"]`);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-state`, 'running');
    await page.close();
  });

  it('removes a job from its page, and cleans a state from the overview', async () => {
    const done = await pool.enqueue(t.square, [12]);
    assert.equal(await done.get(), 144);
    const page = await open(`#/job/${QUEUE}/${encodeURIComponent(done.id)}`);
    await waitForText(page, '#job-state', 'completed');
    await page.click('#job-remove');
    await waitForText(page, '#job', /no job/);
    const gone = await fetch(`${dashboard.url}api/queues/${QUEUE}/jobs/${encodeURIComponent(done.id)}`);
    assert.equal(gone.status, 404);

    const failing = await pool.enqueue(t.failsOnce, [join(dir, 'clean-me')]);
    await assert.rejects(failing.get());
    await page.goto(`${dashboard.url}#/`);
    await page.waitForSelector('#live.on', WAIT);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-failed`, /^[1-9]/);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`#queues tr[data-key="${QUEUE}"] button[data-action="clean-failed"]`);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-failed`, /^0$/);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`#queues tr[data-key="${QUEUE}"] button[data-action="clean-completed"]`);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-completed`, /^0$/);
    await page.close();
  });

  it('retries every failed job at once', async () => {
    const markers = [1, 2, 3].map((n) => join(dir, `all-${n}`));
    const jobs = await Promise.all(markers.map((m) => pool.enqueue(t.failsOnce, [m])));
    for (const job of jobs) await assert.rejects(job.get());
    const page = await open();
    await page.click(`#queues tr[data-key="${QUEUE}"] button[data-action="retry-failed"]`);
    await waitForText(page, `#queues tr[data-key="${QUEUE}"] td.q-failed`, /^0$/);
    await page.close();
  });
});

describe('dashboard safety', { timeout: 60_000 }, () => {
  it('refuses to bind a non-loopback address without a token', async () => {
    const saved = process.env.TASKMILL_DASHBOARD_TOKEN;
    delete process.env.TASKMILL_DASHBOARD_TOKEN;
    try {
      await assert.rejects(startDashboard({ host: '0.0.0.0', port: 0 }), (error: unknown) => {
        assert.ok(error instanceof DashboardSecurityError);
        assert.match((error as Error).message, /without a token/);
        return true;
      });
    } finally {
      if (saved !== undefined) process.env.TASKMILL_DASHBOARD_TOKEN = saved;
    }
    const env = { ...process.env };
    delete env.TASKMILL_DASHBOARD_TOKEN;
    const failed = await promisify(execFile)(
      process.execPath,
      [CLI, 'dashboard', '--host', '0.0.0.0', '--no-redis'],
      { env },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    assert.ok(failed !== undefined, 'the command must not start');
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /without a token/);
  });

  it('with a token, every request needs it (HTTP Basic in the browser)', async () => {
    const token = 'correct-horse-battery';
    const guarded = await startDashboard({ port: 0, token, refreshMs: 200 });
    try {
      assert.equal((await fetch(`${guarded.url}api/state`)).status, 401);
      assert.equal((await fetch(`${guarded.url}metrics`)).status, 401);
      const ok = await fetch(`${guarded.url}api/state`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      const viewer = await launchBrowser({ httpCredentials: { username: 'ops', password: token } });
      try {
        const page = await viewer.context.newPage();
        await page.goto(guarded.url);
        await page.waitForSelector('#live.on', WAIT);
        assert.match(await page.locator('#pools').innerText(), /No local pool/);
      } finally {
        await viewer.close();
      }
    } finally {
      await guarded.close();
    }
  });
});
