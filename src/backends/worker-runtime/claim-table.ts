/**
 * The claim table a pool shares with a worker (an Int32Array over a SharedArrayBuffer): the
 * worker claims each request before it starts it, and the pool (or, in a child process, its
 * steward thread) may revoke a request not claimed yet. Exactly one of the two wins, so a
 * request revoked from a busy worker and sent to another never runs twice, and a worker stuck
 * in a synchronous loop gives up its queue without having to read a message.
 *
 * Slot 0 counts the requests the worker has taken off its queue. Slot 1 + (seq % CLAIM_SLOTS)
 * records the last decision about a request with that sequence number (its position in the
 * stream of requests sent to the worker): `gen * 2` started, `gen * 2 + 1` revoked, where gen
 * is seq modulo 2^30; -1 means never used. A decision about an older sequence number sharing
 * the slot reads as "undecided" for the new one, so slots need no reset.
 */

/** Requests in flight to one worker must stay below this (minus a margin) for slots to be unambiguous. */
export const CLAIM_SLOTS = 4096;
const GENERATIONS = 2 ** 30;

export function newClaimTable(): Int32Array {
  const table = new Int32Array(new SharedArrayBuffer(4 * (1 + CLAIM_SLOTS)));
  table.fill(-1, 1);
  table[0] = 0;
  return table;
}

/** Requests the worker has taken off its queue so far. */
export function takenCount(table: Int32Array): number {
  return Atomics.load(table, 0);
}

/** Worker side: takes request `seq`; false when it was revoked. */
export function claim(table: Int32Array, seq: number): boolean {
  Atomics.store(table, 0, seq + 1);
  return decide(table, seq, 0);
}

/** Pool side: takes request `seq` back; false when the worker has already claimed it. */
export function revoke(table: Int32Array, seq: number): boolean {
  return decide(table, seq, 1);
}

/** Whether the worker has claimed (started) request `seq`. */
export function isClaimed(table: Int32Array, seq: number): boolean {
  const gen = seq % GENERATIONS;
  const current = Atomics.load(table, 1 + (seq % CLAIM_SLOTS));
  return current !== -1 && current >> 1 === gen && (current & 1) === 0;
}

/** Records decision `bit` (0 claim, 1 revoke) for `seq` unless one is recorded; true when this one won. */
function decide(table: Int32Array, seq: number, bit: 0 | 1): boolean {
  const index = 1 + (seq % CLAIM_SLOTS);
  const gen = seq % GENERATIONS;
  const mine = gen * 2 + bit;
  for (;;) {
    const current = Atomics.load(table, index);
    if (current !== -1 && current >> 1 === gen) return current === mine;
    if (Atomics.compareExchange(table, index, current, mine) === current) return true;
  }
}
