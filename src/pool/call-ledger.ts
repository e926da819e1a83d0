/**
 * The calls a pool has accepted and not yet settled. Every public call (apply, submit, map,
 * imap, ...) is entered here synchronously, before it returns, and leaves once its outcome has
 * been delivered. `join()` waits for the calls entered before it; `close()` releases the
 * backend only once every call accepted before it has left, so no accepted call is dropped.
 *
 * Calls are counted per epoch: each `whenSettled()` seals the current epoch and opens a new one,
 * so a join waits for exactly the calls made before it (not for those made after), at the cost
 * of one counter per call.
 */

/** The epoch a call was entered in: pass it back to `leave()`. */
export class Epoch {
  count = 0;
  sealed = false;
  next: Epoch | undefined;
  readonly waiters: (() => void)[] = [];
}

export class CallLedger {
  #current = new Epoch();
  /** Oldest sealed epoch that still has calls; epochs are linked oldest to newest. */
  #oldest: Epoch | undefined;
  #newestSealed: Epoch | undefined;
  #open = 0;

  /** Calls accepted and not settled. */
  get open(): number {
    return this.#open;
  }

  /** Enters one call; returns its epoch. */
  enter(): Epoch {
    const epoch = this.#current;
    epoch.count++;
    this.#open++;
    return epoch;
  }

  /** Marks one call of `epoch` settled. */
  leave(epoch: Epoch): void {
    epoch.count--;
    this.#open--;
    if (epoch.count === 0 && epoch.sealed) this.#release();
  }

  /** Resolves once every call entered before now has left (at once when none is open). */
  whenSettled(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    const epoch = this.#current;
    epoch.sealed = true;
    this.#current = new Epoch();
    if (this.#newestSealed !== undefined) this.#newestSealed.next = epoch;
    else this.#oldest = epoch;
    this.#newestSealed = epoch;
    const done = new Promise<void>((resolve) => epoch.waiters.push(resolve));
    this.#release();
    return done;
  }

  /** Resolves the waiters of every drained epoch at the old end of the chain. */
  #release(): void {
    while (this.#oldest !== undefined && this.#oldest.count === 0) {
      const drained = this.#oldest;
      this.#oldest = drained.next;
      if (this.#oldest === undefined) this.#newestSealed = undefined;
      for (const resolve of drained.waiters) resolve();
    }
  }
}
