// Run as `node --import tsx from-source-caller.ts` by the backend tests: the pool itself runs
// from TypeScript source and uses a TypeScript task module on threads and on processes.
import { Pool, tasks } from '../../../index.js';
import type * as TsTasks from './ts-tasks.js';

const t = tasks<typeof TsTasks>(new URL('./ts-tasks.ts', import.meta.url));
const out: Record<string, unknown> = {};
for (const backend of ['threads', 'processes'] as const) {
  await using pool = new Pool({ backend, workers: 2 });
  out[backend] = [
    await pool.apply(t.triple, 14),
    await pool.map(t.triple, [1, 2, 3]),
    await pool.apply(t.describeShape, { kind: 'circle', size: 2 }),
  ];
}
process.stdout.write(`${JSON.stringify(out)}\n`);
