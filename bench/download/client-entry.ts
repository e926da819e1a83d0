/**
 * One benchmark client run, in a fresh process: `node client-entry.js <contender> <urls-file> <out> <concurrency>`.
 * Prints `{"seconds": …, "failed": …}` (seconds from the first request to the last byte on disk).
 * Contenders: taskmill (download() on the async backend), undici (an Agent used directly),
 * fetch (Node's fetch with p-limit).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

const [contender, urlsFile, out, concurrencyText] = process.argv.slice(2);
const urls = (await readFile(urlsFile as string, 'utf8')).split('\n').filter(Boolean);
const concurrency = Number(concurrencyText);
await mkdir(out as string, { recursive: true });
const fileFor = (url: string) => join(out as string, basename(new URL(url).pathname));

async function withTaskmill(): Promise<() => Promise<number>> {
  const { download } = await import('taskmill');
  return async () => {
    let failed = 0;
    for await (const event of download(urls, {
      out: out as string,
      concurrency,
      connectionsPerHost: concurrency,
    })) {
      if (event.type === 'end') failed = event.summary.failed;
    }
    return failed;
  };
}

async function withUndici(): Promise<() => Promise<number>> {
  const { Agent } = await import('undici');
  return async () => {
    const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < urls.length) {
          const url = urls[next++] as string;
          const parsed = new URL(url);
          const response = await agent.request({
            origin: parsed.origin,
            path: parsed.pathname,
            method: 'GET',
          });
          const chunks: Buffer[] = [];
          for await (const chunk of response.body) chunks.push(chunk as Buffer);
          if (response.statusCode !== 200) failed++;
          else await writeFile(fileFor(url), Buffer.concat(chunks));
        }
      }),
    );
    await agent.close();
    return failed;
  };
}

async function withFetch(): Promise<() => Promise<number>> {
  const { default: pLimit } = await import('p-limit');
  return async () => {
    const limit = pLimit(concurrency);
    let failed = 0;
    await Promise.all(
      urls.map((url) =>
        limit(async () => {
          const response = await fetch(url);
          const body = Buffer.from(await response.arrayBuffer());
          if (!response.ok) failed++;
          else await writeFile(fileFor(url), body);
        }),
      ),
    );
    return failed;
  };
}

const runners: Record<string, () => Promise<() => Promise<number>>> = {
  taskmill: withTaskmill,
  undici: withUndici,
  fetch: withFetch,
};
const runner = runners[contender as string];
if (runner === undefined) throw new Error(`unknown contender ${contender}`);
// Load what the contender needs before the clock starts, as Python's imports are done before its clock.
const run = await runner();
const start = performance.now();
const failed = await run();
process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - start) / 1000, failed })}\n`);
