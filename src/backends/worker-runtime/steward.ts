/**
 * The steward: a small thread inside each child process of the `processes` backend. It answers
 * the pool's `revoke` requests over a pipe of its own (fd 4), revoking in the process's claim
 * table, so a child whose main thread is stuck in a long synchronous task still gives back the
 * requests queued behind it. It does nothing else, and never keeps the process alive.
 *
 * Wire format, one JSON array per line: pool -> steward `[[id, seq], ...]`; steward -> pool
 * `[id, ...]`, the ids it took back.
 */
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { revoke } from './claim-table.js';

const { claims, fd } = workerData as { claims: SharedArrayBuffer; fd: number };
const table = new Int32Array(claims);
const pipe = new Socket({ fd, readable: true, writable: true });
pipe.setEncoding('utf8');
// The pipe keeps this thread alive; the thread itself is unref'd, so the process is not kept.
let partial = '';
pipe.on('data', (chunk: string) => {
  partial += chunk;
  for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
    const line = partial.slice(0, end);
    partial = partial.slice(end + 1);
    const taken: number[] = [];
    for (const [id, seq] of JSON.parse(line) as [number, number][]) if (revoke(table, seq)) taken.push(id);
    pipe.write(`${JSON.stringify(taken)}\n`);
  }
});
// The pool went away: the process ends through its IPC channel; nothing to do here.
pipe.on('error', () => {});
