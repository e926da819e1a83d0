/**
 * What a schedule is: its options as users write them (`{ every: '15m' }`,
 * `{ cron: '0 3 * * *', tz: 'Europe/Berlin' }`), checked and resolved into a spec, and the
 * arithmetic of its windows. A window runs from one due time to the next; a run whose window
 * has passed before anything could start it (all workers down, the process suspended) is
 * missed, and the `missed` policy says what happens to it: `'run-once'` (the default) runs it
 * once, however many windows went by; `'skip'` drops it and waits for the next window.
 *
 * Cron patterns are read by cron-parser (an optional peer dependency, which BullMQ itself
 * depends on), loaded only when a cron schedule is made.
 */
import { createHash } from 'node:crypto';
import { assertKnownKeys } from '../core/option-keys.js';
import { missingDependency } from '../core/optional-packages.js';
import { InvalidScheduleError } from './errors.js';

export type MissedPolicy = 'skip' | 'run-once';

/** Options of `pool.schedule(task, options, ...args)`. */
export interface ScheduleOptions {
  /** A fixed interval: `'15m'`, `'30s'`, `'1h30m'`, `'500ms'`, `'1d'`, or milliseconds. Runs at once, then every interval. */
  readonly every?: string | number;
  /** A cron pattern: 5 fields (minute hour day month weekday) or 6 (seconds first); `@daily` and the like. */
  readonly cron?: string;
  /** The IANA time zone a cron pattern is read in (default `'UTC'`), e.g. `'Europe/Berlin'`. */
  readonly tz?: string;
  /** What a run whose window passed unstarted does: `'run-once'` (default) or `'skip'`. */
  readonly missed?: MissedPolicy;
  /**
   * The schedule's name; the same id on the same queue is the same schedule (scheduling it
   * again replaces its definition). Default: the task's id and a hash of the timing and arguments.
   */
  readonly id?: string;
}

/** A schedule's timing, resolved. */
export interface ScheduleTiming {
  /** Interval in ms (exclusive with `cron`). */
  readonly every?: number;
  readonly cron?: string;
  /** Time zone of `cron`. */
  readonly tz?: string;
  readonly missed: MissedPolicy;
}

export const SCHEDULE_OPTION_KEYS: readonly (keyof ScheduleOptions)[] = [
  'every',
  'cron',
  'tz',
  'missed',
  'id',
];
const ID = /^[A-Za-z0-9_.:@/#-]{1,200}$/;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Checks `options` and resolves the timing (cron patterns parsed for real). */
export async function resolveTiming(options: ScheduleOptions): Promise<ScheduleTiming> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidScheduleError(
      "pool.schedule(task, options, ...args) takes an options object, e.g. { every: '15m' } or { cron: '0 3 * * *' }",
    );
  }
  assertKnownKeys(options, SCHEDULE_OPTION_KEYS, 'schedule options');
  const { every, cron, tz } = options;
  const missed = options.missed ?? 'run-once';
  if (missed !== 'skip' && missed !== 'run-once') {
    throw new InvalidScheduleError(`missed must be 'skip' or 'run-once', got ${JSON.stringify(missed)}`);
  }
  if ((every === undefined) === (cron === undefined)) {
    throw new InvalidScheduleError(
      "a schedule takes exactly one of every or cron, e.g. { every: '15m' } or { cron: '0 3 * * *', tz: 'Europe/Berlin' }",
    );
  }
  if (every !== undefined) {
    if (tz !== undefined)
      throw new InvalidScheduleError('tz applies to cron schedules only; an every interval has no time zone');
    return { every: parseEvery(every), missed };
  }
  const zone = tz ?? 'UTC';
  checkTimeZone(zone);
  const pattern = checkCronShape(cron);
  await cronNext(pattern, zone, Date.now());
  return { cron: pattern, tz: zone, missed };
}

/** `'15m'`, `'1h30m'`, `'500ms'`, `'2.5s'` or a number, in whole milliseconds (at least 1). */
export function parseEvery(every: string | number): number {
  const hint =
    "every takes a duration such as '15m', '30s', '1h30m', '500ms', '1d' (units ms s m h d) or a number of milliseconds";
  if (typeof every === 'number') {
    if (Number.isFinite(every) && every >= 1 && Number.isInteger(every)) return every;
    throw new InvalidScheduleError(`${hint}; got ${every}, which is not a whole number of ms of at least 1`);
  }
  if (typeof every !== 'string') throw new InvalidScheduleError(`${hint}; got ${typeof every}`);
  const text = every.trim();
  let ms = 0;
  let at = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const part = PART.exec(text);
    if (part === null) throw new InvalidScheduleError(`${hint}; got ${JSON.stringify(every)}`);
    ms += Number(part[1]) * (UNITS[part[2] as string] as number);
    at = PART.lastIndex;
  }
  if (text === '' || !Number.isFinite(ms) || Math.round(ms) < 1)
    throw new InvalidScheduleError(`${hint}; got ${JSON.stringify(every)}`);
  return Math.round(ms);
}

function checkTimeZone(tz: unknown): void {
  try {
    if (typeof tz !== 'string' || tz === '') throw new RangeError('empty');
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new InvalidScheduleError(
      `tz ${JSON.stringify(tz)} is not a time zone this Node.js knows: give an IANA name such as 'Europe/Berlin', 'America/New_York' or 'UTC'`,
    );
  }
}

function checkCronShape(cron: unknown): string {
  const hint =
    "cron takes 5 fields (minute hour day-of-month month day-of-week, e.g. '0 3 * * *'), 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly";
  if (typeof cron !== 'string') throw new InvalidScheduleError(`${hint}; got ${typeof cron}`);
  const pattern = cron.trim().replace(/\s+/g, ' ');
  const fields = pattern.split(' ').length;
  if (pattern === '' || (!pattern.startsWith('@') && fields !== 5 && fields !== 6))
    throw new InvalidScheduleError(
      `${hint}; got ${JSON.stringify(cron)} (${pattern === '' ? 0 : fields} fields)`,
    );
  return pattern;
}

type CronParser = typeof import('cron-parser').CronExpressionParser;
let parser: Promise<CronParser> | undefined;

function loadCron(): Promise<CronParser> {
  parser ??= import('cron-parser').then(
    (module) => module.CronExpressionParser,
    () => {
      parser = undefined;
      throw missingDependency('cron schedules', ['cron-parser']);
    },
  );
  return parser;
}

/** The first time strictly after `after` (ms) that `pattern` matches in `tz`. */
export async function cronNext(pattern: string, tz: string, after: number): Promise<number> {
  const cron = await loadCron();
  try {
    return cron
      .parse(pattern, { tz, currentDate: new Date(after) })
      .next()
      .getTime();
  } catch (error) {
    throw new InvalidScheduleError(
      `cron ${JSON.stringify(pattern)} is not a valid pattern: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The due time after `due` (ms): the end of the window that begins at `due`. */
export async function nextDue(timing: ScheduleTiming, due: number): Promise<number> {
  if (timing.every !== undefined) return due + timing.every;
  return cronNext(timing.cron as string, timing.tz ?? 'UTC', due);
}

/** Whether the run due at `due` missed its window: the next due time has come by `now`. */
export async function windowPassed(timing: ScheduleTiming, due: number, now: number): Promise<boolean> {
  return (await nextDue(timing, due)) <= now;
}

/** Checks a schedule id, or makes the default one: the task's id and a hash of what defines the schedule. */
export function scheduleId(given: unknown, task: string, timing: ScheduleTiming, args: unknown): string {
  if (given !== undefined) {
    if (typeof given !== 'string' || !ID.test(given)) {
      throw new InvalidScheduleError(
        `schedule id ${JSON.stringify(given)} is not valid: use 1-200 letters, digits and . _ : @ / # -`,
      );
    }
    return given;
  }
  const hash = createHash('sha256')
    .update(stableText([timing.every ?? null, timing.cron ?? null, timing.tz ?? null, args]))
    .digest('hex')
    .slice(0, 10);
  return `${task}@${hash}`;
}

/** JSON of `value` (BigInt as text); a value JSON cannot hold (a cycle) hashes by its place in no list: a fresh id. */
function stableText(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
  } catch {
    return `${Date.now()}:${Math.random()}`;
  }
}

/** `every 15m`, `cron 0 3 * * * (Europe/Berlin)`: for lists and logs. */
export function describeTiming(timing: Pick<ScheduleTiming, 'every' | 'cron' | 'tz'>): string {
  if (timing.every !== undefined) return `every ${formatMs(timing.every)}`;
  return `cron ${timing.cron} (${timing.tz ?? 'UTC'})`;
}

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
