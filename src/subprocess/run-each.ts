/**
 * Runs a command template once per input, `jobs` at a time, and hands each outcome over in
 * INPUT order as soon as it and every earlier one are done (GNU parallel --keep-order). Inputs
 * are read lazily and only a bounded window of finished outcomes is held while an earlier,
 * slower command is still running, so endless or huge inputs do not exhaust memory.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { Semaphore } from '../sync/semaphore.js';
import type { CommandResult } from './command-result.js';
import { fillTemplate } from './command-template.js';
import { RUN_OPTION_KEYS, type RunOptions, runAny } from './run-command.js';

export interface EachOutcome {
  readonly index: number;
  readonly input: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly outcome: PromiseSettledResult<CommandResult<string | Buffer>>;
}

export interface RunEachOptions {
  /** Commands at once. */
  readonly jobs: number;
  /** Keep starting commands after one fails. Default true. */
  readonly keepGoing?: boolean;
  /** Options for every command (timeout, maxBuffer, cwd, env). */
  readonly command?: Omit<RunOptions, 'input' | 'signal'>;
  /** Aborting kills what runs and starts nothing more. */
  readonly signal?: AbortSignal;
  /**
   * Most inputs started but not yet handed over (running, or finished and waiting for an
   * earlier one). Bounds memory when one early command is slow. Default max(64, jobs × 8).
   */
  readonly window?: number;
  /** Receives outcomes in input order; a returned promise is awaited before the next one. */
  readonly onOutcome: (outcome: EachOutcome) => void | Promise<void>;
}

export interface RunEachSummary {
  readonly total: number;
  readonly failed: readonly EachOutcome[];
  /** Inputs never started (after a failure without keepGoing, or after an abort). */
  readonly notRun: number;
}

/** Failed = did not start, was stopped, or exited non-zero / by a signal. */
export function isFailure(outcome: PromiseSettledResult<CommandResult<string | Buffer>>): boolean {
  return outcome.status === 'rejected' || outcome.value.exitCode !== 0;
}

const RUN_EACH_OPTION_KEYS: readonly (keyof RunEachOptions)[] = [
  'jobs',
  'keepGoing',
  'command',
  'signal',
  'window',
  'onOutcome',
];

export async function runEach(
  template: readonly string[],
  inputs: Iterable<string> | AsyncIterable<string>,
  options: RunEachOptions,
): Promise<RunEachSummary> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('runEach options must be an object, e.g. { jobs: 4, onOutcome }');
  }
  assertKnownKeys(options, RUN_EACH_OPTION_KEYS, 'runEach options');
  if (options.command !== undefined) {
    assertKnownKeys(
      options.command,
      RUN_OPTION_KEYS.filter((key) => key !== 'input' && key !== 'signal'),
      'runEach command options',
    );
  }
  const { jobs, signal } = options;
  if (!(Number.isInteger(jobs) && jobs > 0))
    throw new InvalidArgumentError(`jobs must be a positive integer, got ${jobs}`);
  if (template.length === 0)
    throw new InvalidArgumentError('no command given: put it after --, e.g. -- gzip -k {}');
  const keepGoing = options.keepGoing ?? true;
  const window = options.window ?? Math.max(64, jobs * 8);
  if (!(Number.isInteger(window) && window >= jobs)) {
    throw new InvalidArgumentError(`window must be an integer of at least jobs (${jobs}), got ${window}`);
  }
  const slots = new Semaphore(jobs);
  const finished = new Map<number, EachOutcome>();
  const failed: EachOutcome[] = [];
  let delivered = 0;
  let total = 0;
  let notRun = 0;
  let stopStarting = false;
  let delivering: Promise<void> = Promise.resolve();
  let roomWaiter: (() => void) | undefined;
  let deliveryError: { error: unknown } | undefined;

  const deliverReady = async (): Promise<void> => {
    if (deliveryError !== undefined) return;
    try {
      for (let next = finished.get(delivered); next !== undefined; next = finished.get(delivered)) {
        finished.delete(delivered);
        delivered++;
        await options.onOutcome(next);
        roomWaiter?.();
      }
    } catch (error) {
      // The receiver failed (e.g. stdout closed): start nothing more and report it at the end.
      deliveryError = { error };
      stopStarting = true;
      roomWaiter?.();
    }
  };
  const settle = (each: EachOutcome): void => {
    if (isFailure(each.outcome)) {
      failed.push(each);
      if (!keepGoing) stopStarting = true;
    }
    finished.set(each.index, each);
    delivering = delivering.then(deliverReady);
  };

  for await (const input of inputs) {
    const index = total++;
    if (stopStarting || signal?.aborted) {
      notRun++;
      continue;
    }
    while (index - delivered >= window && deliveryError === undefined) {
      await new Promise<void>((resolve) => {
        roomWaiter = resolve;
      });
    }
    const release = await slots.acquire();
    // Skipping is final (nothing starts after it), so every started input comes before the
    // first skipped one and delivery in input order never waits on a skipped input.
    if (stopStarting || signal?.aborted) {
      release();
      notRun++;
      continue;
    }
    const { command, args } = fillTemplate(template, input);
    const runOptions: RunOptions = { ...options.command, ...(signal ? { signal } : {}) };
    runAny(command, args, runOptions)
      .then(
        (value) => settle({ index, input, command, args, outcome: { status: 'fulfilled', value } }),
        (reason: unknown) => settle({ index, input, command, args, outcome: { status: 'rejected', reason } }),
      )
      .finally(release);
  }
  // Wait for the commands still running: each holds a permit until it settles.
  for (let i = 0; i < jobs; i++) await slots.acquire();
  await delivering;
  if (deliveryError !== undefined) throw deliveryError.error;
  failed.sort((a, b) => a.index - b.index);
  return { total, failed, notRun };
}
