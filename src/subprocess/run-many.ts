/**
 * Runs many commands at once, at most `concurrency` at a time, and gives every outcome in
 * input order (like `Promise.allSettled`): one failing command does not hide the others.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { Semaphore } from '../sync/semaphore.js';
import type { CommandResult } from './command-result.js';
import { RUN_OPTION_KEYS, type RunOptions, runCommand } from './run-command.js';

export interface CommandSpec {
  readonly command: string;
  readonly args?: readonly string[];
  /** Options for this command; output is text (use runCommand with encoding 'buffer' for bytes). */
  readonly options?: Omit<RunOptions, 'encoding'>;
}

export interface RunManyOptions {
  /** Commands running at once. Default: available parallelism. */
  readonly concurrency?: number;
  /** Aborting stops the running commands (killing their trees) and starts no more. */
  readonly signal?: AbortSignal;
  /** Called as each command settles (in completion order), e.g. to print progress. */
  readonly onSettled?: (index: number, outcome: PromiseSettledResult<CommandResult>) => void;
}

const RUN_MANY_OPTION_KEYS: readonly (keyof RunManyOptions)[] = ['concurrency', 'signal', 'onSettled'];

export async function runMany(
  commands: Iterable<CommandSpec>,
  options: RunManyOptions = {},
): Promise<PromiseSettledResult<CommandResult>[]> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('runMany options must be an object, e.g. { concurrency: 4 }');
  }
  assertKnownKeys(options, RUN_MANY_OPTION_KEYS, 'runMany options');
  const concurrency = options.concurrency ?? availableParallelism();
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new InvalidArgumentError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const slots = new Semaphore(concurrency);
  const specs = [...commands];
  specs.forEach((spec, index) => {
    if (spec === null || typeof spec !== 'object') {
      throw new InvalidArgumentError(
        `runMany command ${index} must be an object, e.g. { command: 'ls', args: ['-l'] }`,
      );
    }
    assertKnownKeys(spec, ['command', 'args', 'options'], `runMany command ${index}`);
    if (spec.options !== undefined) {
      assertKnownKeys(
        spec.options,
        RUN_OPTION_KEYS.filter((key) => key !== 'encoding'),
        `runMany command ${index} options`,
      );
    }
  });
  return Promise.all(
    specs.map(async (spec, index): Promise<PromiseSettledResult<CommandResult>> => {
      let outcome: PromiseSettledResult<CommandResult>;
      try {
        const value = await slots.withPermit(
          () => runCommand(spec.command, spec.args ?? [], withSignal(spec.options, options.signal)),
          options.signal === undefined ? {} : { signal: options.signal },
        );
        outcome = { status: 'fulfilled', value };
      } catch (reason) {
        outcome = { status: 'rejected', reason };
      }
      options.onSettled?.(index, outcome);
      return outcome;
    }),
  );
}

function withSignal(
  options: Omit<RunOptions, 'encoding'> | undefined,
  signal: AbortSignal | undefined,
): Omit<RunOptions, 'encoding'> {
  if (signal === undefined) return options ?? {};
  const own = options?.signal;
  return { ...options, signal: own === undefined ? signal : AbortSignal.any([own, signal]) };
}
