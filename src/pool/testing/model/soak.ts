/**
 * `npm run soak`: the model-based contract test (pool-model.test.ts) at length, with fresh seeds:
 * scripts per backend until a count or a time budget is reached, and a report of what ran and
 * what failed (the failing script, shrunk, and the seed that reproduces it).
 *
 *   npm run soak -- [--minutes M] [--runs N] [--backends sequential,async,threads,processes] [--seed S]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import type { BackendName } from '../../../core/backend.js';
import { runScript } from './run-script.js';
import { script } from './script.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    runs: { type: 'string', default: '100000' },
    backends: { type: 'string', default: 'sequential,async,threads,processes' },
    seed: { type: 'string' },
    batch: { type: 'string', default: '50' },
  },
});
const backends = String(values.backends).split(',') as BackendName[];
const budgetMs = Number(values.minutes) * 60_000;
const maxRuns = Number(values.runs);
const batch = Number(values.batch);
const started = Date.now();
const ran = new Map<string, number>(backends.map((b) => [b, 0]));
let failures = 0;
let round = 0;

while (Date.now() - started < budgetMs && [...ran.values()].reduce((a, b) => a + b, 0) < maxRuns) {
  for (const backend of backends) {
    const seed =
      values.seed !== undefined ? Number(values.seed) + round : (Date.now() ^ (round * 7919)) >>> 0;
    const result = await fc.check(
      fc.asyncProperty(script(backend), async (steps) => {
        if (process.env.TASKMILL_SOAK_TRACE !== undefined) {
          writeFileSync(process.env.TASKMILL_SOAK_TRACE, `${backend} ${JSON.stringify(steps)}\n`);
        }
        const { violations } = await runScript(backend, steps);
        if (violations.length > 0) throw new Error(violations.join('\n'));
      }),
      { seed, numRuns: batch },
    );
    ran.set(backend, (ran.get(backend) ?? 0) + result.numRuns);
    if (result.failed) {
      failures++;
      const steps = (result.counterexample?.[0] ?? []) as Parameters<typeof runScript>[1];
      const report = await runScript(backend, steps);
      const thrown = result.errorInstance instanceof Error ? `\n  thrown: ${result.errorInstance.stack}` : '';
      process.stdout.write(
        `FAILED on ${backend} (seed ${seed}, path ${result.counterexamplePath}):\n  ${report.steps.join('\n  ')}\n  => ${report.violations.join('\n  => ') || '(passed when replayed: intermittent)'}${thrown}\n`,
      );
    }
  }
  round++;
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stdout.write(
    `${minutes} min: ${[...ran].map(([b, n]) => `${b} ${n}`).join(', ')}; failures ${failures}\n`,
  );
}
const total = [...ran.values()].reduce((a, b) => a + b, 0);
process.stdout.write(
  `soak: ${total} scripts in ${((Date.now() - started) / 60_000).toFixed(1)} min (${[...ran]
    .map(([b, n]) => `${b} ${n}`)
    .join(', ')}), ${failures} failing batch(es)\n`,
);
process.exitCode = failures > 0 ? 1 : 0;
