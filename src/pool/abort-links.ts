/**
 * Calls that share one AbortSignal share one listener on it. A signal passed to a thousand
 * calls (a whole download) would otherwise carry a thousand listeners, and Node warns past ten.
 */

export interface AbortTarget {
  /** Called once when the signal aborts, unless unlinked first. */
  aborted(reason: unknown): void;
}

interface Link {
  readonly targets: Set<AbortTarget>;
  readonly listener: () => void;
}

const links = new WeakMap<AbortSignal, Link>();

/** Calls `target.aborted(reason)` when `signal` aborts. The signal must not be aborted yet. */
export function linkAbort(signal: AbortSignal, target: AbortTarget): void {
  let link = links.get(signal);
  if (link === undefined) {
    const targets = new Set<AbortTarget>();
    const listener = () => {
      links.delete(signal);
      for (const each of targets) each.aborted(signal.reason);
      targets.clear();
    };
    link = { targets, listener };
    links.set(signal, link);
    signal.addEventListener('abort', listener, { once: true });
  }
  link.targets.add(target);
}

/** Stops `target` from hearing about `signal`; the last target gone takes the listener with it. */
export function unlinkAbort(signal: AbortSignal, target: AbortTarget): void {
  const link = links.get(signal);
  if (link === undefined || !link.targets.delete(target) || link.targets.size > 0) return;
  links.delete(signal);
  signal.removeEventListener('abort', link.listener);
}
