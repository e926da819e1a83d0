/**
 * A benchmark worker process: `node worker-process.js <taskmill|bullmq> <url> <queue> <concurrency>`.
 * The bullmq flavour is BullMQ used directly (the peer), running the same two tasks.
 * Prints `ready` once it takes jobs; exits on SIGTERM.
 */
import { Worker } from 'bullmq';
import { startWorker } from 'taskmill';
import { noop, sleep10, sum } from './bench-tasks.js';

const [kind, url, queue, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 50);
let stop: () => Promise<void>;
if (kind === 'taskmill') {
  const worker = await startWorker({
    tasks: [new URL('./bench-tasks.js', import.meta.url)],
    queue: String(queue),
    connection: String(url),
    concurrency,
  });
  stop = () => worker.close();
} else {
  const { hostname, port } = new URL(String(url));
  const worker = new Worker(
    String(queue),
    async (job) => {
      if (job.name === 'sleep10') return sleep10(job.data.n);
      // A flow's parent (the chord's callback): its children's values, as BullMQ gives them.
      if (job.name === 'sum') return sum(Object.values(await job.getChildrenValues<number>()));
      return noop(job.data.n);
    },
    { connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null }, concurrency },
  );
  await worker.waitUntilReady();
  stop = () => worker.close();
}
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
