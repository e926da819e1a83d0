/**
 * Refuses option keys nobody reads. A misspelled option (`maxOutput` for `maxOutputBytes`) is
 * otherwise silently ignored and the user never learns why the limit did not hold.
 */
import { InvalidArgumentError } from './errors.js';

/**
 * Throws InvalidArgumentError when `options` has an own key that is not in `known`, naming the
 * closest known key. `where` names the options object in the message, e.g. `Pool options`.
 */
export function assertKnownKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const closest = closestKey(key, known);
    const hint = closest !== undefined ? `: did you mean "${closest}"?` : '';
    throw new InvalidArgumentError(
      `${where} has no option "${key}"${hint} (known options: ${known.join(', ')})`,
    );
  }
}

/** The known key nearest to `key` by edit distance (case-insensitive), if any is near enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    // A prefix or an extension of a known key (`maxOutput` for `maxOutputBytes`) is a near miss too.
    const distance =
      lower.startsWith(wanted) || wanted.startsWith(lower)
        ? Math.min(1, editDistance(wanted, lower))
        : editDistance(wanted, lower);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, with one row of memory. */
function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}
