/**
 * Task module for the cross-thread bank-balance example (and the SharedLock tests): run as a task in a worker
 * thread. Everything it receives is plain data: SharedArrayBuffers and lock/counter handles.
 *
 * The balance is a PLAIN Int32 slot (read and written without Atomics), as the seeds' Python
 * `balance = balance + n`. Each round reads it, yields to the other thread, then writes back
 * read + 1. The yield is a handshake that makes the race certain: a thread does not write until
 * the other thread has read in the same round (both read the same value, so one deposit is
 * lost), unless the other thread is waiting at the lock (then the lock is what protects us).
 */
import { AtomicCounter, type AtomicCounterHandle, SharedLock, type SharedLockHandle } from 'taskmill/task';

/** Slots of the bank's Int32Array. */
const BALANCE = 0;
const CHANGES = 1; // bumped and notified on every handshake change
const READ = 2; // READ + who: the last round in which `who` read the balance
const WAITING = 4; // WAITING + who: 1 while `who` waits for the lock
const DONE = 6; // DONE + who: 1 when `who` has finished
export const BANK_SLOTS = 8;

export interface BankArgs {
  /** SharedArrayBuffer of BANK_SLOTS Int32 slots, zeroed. */
  readonly bank: SharedArrayBuffer;
  /** 0 or 1. */
  readonly who: number;
  readonly rounds: number;
  /** Without a lock the deposits race. */
  readonly lock?: SharedLockHandle;
}

export function newBank(): SharedArrayBuffer {
  return new SharedArrayBuffer(BANK_SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

export function balanceOf(bank: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(bank), BALANCE);
}

/** Deposits 1, `rounds` times, interleaving with the other thread; returns the rounds done. */
export function depositRounds(args: BankArgs): number {
  const cells = new Int32Array(args.bank);
  const me = args.who;
  const other = 1 - me;
  const lock = args.lock === undefined ? undefined : SharedLock.from(args.lock);
  const announce = (slot: number, value: number): void => {
    Atomics.store(cells, slot, value);
    Atomics.add(cells, CHANGES, 1);
    Atomics.notify(cells, CHANGES);
  };
  const waitUntil = (ready: () => boolean): void => {
    for (;;) {
      const seen = Atomics.load(cells, CHANGES);
      if (ready()) return;
      Atomics.wait(cells, CHANGES, seen);
    }
  };
  for (let round = 1; round <= args.rounds; round++) {
    let release: (() => void) | undefined;
    if (lock !== undefined) {
      announce(WAITING + me, 1);
      release = lock.acquireSync();
      announce(WAITING + me, 0);
    }
    const read = cells[BALANCE] as number; // plain, non-atomic read
    announce(READ + me, round);
    waitUntil(
      () =>
        Atomics.load(cells, READ + other) >= round ||
        Atomics.load(cells, WAITING + other) === 1 ||
        Atomics.load(cells, DONE + other) === 1,
    );
    cells[BALANCE] = read + 1; // plain, non-atomic write
    release?.();
  }
  announce(DONE + me, 1);
  return args.rounds;
}

/** Adds 1 to a shared counter `times` times; atomic, so no update is lost even without a lock. */
export function countUp(counter: AtomicCounterHandle, times: number): number {
  const c = AtomicCounter.from(counter);
  for (let i = 0; i < times; i++) c.add(1);
  return c.get();
}
