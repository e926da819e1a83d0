/** `taskmill demo`: the seeds' comparison of execution models, on this machine, in under a minute. */
import type { Command } from 'commander';
import { positiveNumber, wholeNumber } from '../../downloader/console/common-flags.js';
import { addRedisOption, connectionFrom } from './redis-flags.js';

export function register(program: Command): void {
  const command = program
    .command('demo')
    .description(
      "Reproduce the seeds' comparison here: download a stand-in gallery with every backend, then run CPU-bound work on each",
    )
    .option('--images <n>', 'images in the gallery', wholeNumber('images', 1), 91)
    .option('--image-size <bytes>', 'bytes per image', wholeNumber('image-size', 1), 102_400)
    .option('--latency <ms>', 'server latency per image', positiveNumber('latency'), 200)
    .option(
      '-c, --concurrency <n>',
      'downloads in flight on the async backend',
      wholeNumber('concurrency', 1),
      16,
    )
    .option(
      '--workers <n>',
      'threads / processes for downloads (the seeds used 8)',
      wholeNumber('workers', 1),
      8,
    )
    .option(
      '--sequential-subset <n>',
      'images downloaded sequentially (then extrapolated)',
      wholeNumber('sequential-subset', 1),
      10,
    )
    .option('--cpu-tasks <n>', 'CPU-bound tasks', wholeNumber('cpu-tasks', 1), 24)
    .option(
      '--fib <n>',
      'each CPU-bound task computes fib(n) (default: n sized to ~100 ms a call on this machine)',
      wholeNumber('fib', 1),
    );
  addRedisOption(
    command,
    'Redis for the redis row (default $TASKMILL_REDIS_URL, else redis://127.0.0.1:6379)',
  ).action(async (flags: Record<string, unknown>) => {
    const { runDemo } = await import('../../downloader/demo/run-demo.js');
    await runDemo({
      images: flags.images as number,
      imageSize: flags.imageSize as number,
      latency: flags.latency as number,
      concurrency: flags.concurrency as number,
      workers: flags.workers as number,
      sequentialSubset: flags.sequentialSubset as number,
      cpuTasks: flags.cpuTasks as number,
      fib: flags.fib as number,
      redisUrl: connectionFrom(flags),
      log: (line) => process.stdout.write(`${line}\n`),
    });
  });
}
