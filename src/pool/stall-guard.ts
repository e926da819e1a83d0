/**
 * The last line of "every call settles": when the process runs out of work (Node's
 * 'beforeExit') while a pool still has calls pending, nothing can settle them any more — a task
 * awaits a promise that never resolves, or an input iterator never yields. Rather than let the
 * process exit with those calls silently unsettled (and exit code 0), the pool is terminated:
 * each pending call rejects with TaskAbortedError saying why, which the caller sees.
 */
import { PoolClosedError } from '../core/errors.js';

/** What the guard needs of a pool. */
export interface Guarded {
  readonly pending: number;
  _terminate(reason: PoolClosedError): Promise<void>;
}

const watched = new Set<WeakRef<Guarded>>();
const forget = new FinalizationRegistry<WeakRef<Guarded>>((ref) => watched.delete(ref));
const refs = new WeakMap<Guarded, WeakRef<Guarded>>();
let listening = false;

/** Watches `pool` from now on (once per pool; a pool that is collected is forgotten). */
export function watchForStall(pool: Guarded): void {
  if (refs.has(pool)) return;
  const ref = new WeakRef(pool);
  refs.set(pool, ref);
  watched.add(ref);
  forget.register(pool, ref);
  if (!listening) {
    listening = true;
    process.on('beforeExit', check);
  }
}

function check(): void {
  for (const ref of watched) {
    const pool = ref.deref();
    if (pool === undefined) {
      watched.delete(ref);
      continue;
    }
    if (pool.pending === 0) continue;
    void pool._terminate(
      new PoolClosedError(
        `the process ran out of work with ${pool.pending} call(s) still pending on this pool: nothing could settle them any more (a task awaiting a promise that never resolves, or an input that never yields), so the pool was terminated`,
      ),
    );
  }
}
