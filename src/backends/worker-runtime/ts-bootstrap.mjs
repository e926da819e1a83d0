// Starts a taskmill worker (thread or child process) when the pool itself runs from TypeScript
// source (e.g. `node --import tsx main.ts`). On Node 20, worker threads do not inherit the
// loader hooks of their parent, so this plain JavaScript file registers tsx first, then loads
// the real entry, whose URL comes in workerData (threads) or as the first argument (processes).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const entry = workerData?.taskmillEntry ?? process.argv[2];
if (typeof entry !== 'string') throw new Error('ts-bootstrap: no taskmill worker entry was given');
await import(entry);
