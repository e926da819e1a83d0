/**
 * Timers that hold for any delay. Node's setTimeout takes at most 2^31-1 ms (about 24.8 days);
 * a longer delay fires after 1 ms with a TimeoutOverflowWarning. A long delay is waited out in
 * steps of at most that size.
 */

/** Largest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  /** Stops the timer; no-op once it has fired. */
  clear(): void;
}

/**
 * Calls `fire` after `ms` milliseconds, however large (Infinity: never). `unref`: the timer does
 * not keep the process alive (the default, as a deadline should not).
 */
export function startTimer(fire: () => void, ms: number, unref = true): LongTimer {
  let handle: NodeJS.Timeout | undefined;
  let cleared = false;
  if (ms === Number.POSITIVE_INFINITY) return { clear: () => {} };
  const due = Date.now() + ms;
  const arm = (wait: number): void => {
    handle = setTimeout(
      () => {
        handle = undefined;
        if (cleared) return;
        const left = due - Date.now();
        if (wait === MAX_TIMER_MS && left > 0) arm(Math.min(MAX_TIMER_MS, left));
        else fire();
      },
      Math.max(0, Math.min(MAX_TIMER_MS, wait)),
    );
    if (unref) handle.unref();
  };
  arm(Math.min(MAX_TIMER_MS, ms));
  return {
    clear: () => {
      cleared = true;
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
  };
}
