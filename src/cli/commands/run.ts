/**
 * `taskmill run [options] -- <command> [args...] [::: input ...]`: runs a command once per input,
 * several at once (xargs -P / GNU parallel). Inputs come after `:::`, or else one per line on
 * stdin. `{}` in the command is replaced by the input; without `{}` the input is appended as
 * the last argument. No shell is involved: an input is always exactly one argument.
 *
 * Each command's output is printed whole and in input order. Exit status: 0 when every command
 * succeeded, 1 when any failed (with a one-line summary on stderr), 2 for usage errors.
 */
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { displayCommand } from '../../subprocess/command-result.js';
import { splitInputs } from '../../subprocess/command-template.js';
import { CommandStoppedError } from '../../subprocess/errors.js';
import { type EachOutcome, runEach } from '../../subprocess/run-each.js';
import { UsageError } from '../errors.js';

interface RunFlags {
  readonly jobs: number;
  readonly keepGoing: boolean;
  readonly timeout?: number;
  readonly maxOutput?: number;
}

function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
      throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
    }
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'Run a command once per input, several at once (like xargs -P or GNU parallel), without a shell',
    )
    .usage('[options] -- <command> [args...] [::: input ...]')
    .argument('<command...>', 'the command; {} is replaced by the input (else the input is appended)')
    .option('-j, --jobs <n>', 'commands running at once', positiveInteger('--jobs'), availableParallelism())
    .option('--no-keep-going', 'start no more commands after the first failure')
    .option(
      '--timeout <ms>',
      'kill a command (and what it started) after this many ms',
      positiveInteger('--timeout'),
    )
    .option(
      '--max-output <bytes>',
      'most bytes kept per command and stream (default 16 MiB)',
      positiveInteger('--max-output'),
    )
    .addHelpText(
      'after',
      `
Inputs come after ::: or, when there is no :::, one per line on stdin (blank lines skipped).
Output of each command is printed whole, in input order.

Examples:
  taskmill run -j 4 -- gzip -k {} ::: a.log b.log c.log
  find . -name '*.png' | taskmill run -- optipng -quiet
  taskmill run --timeout 5000 -- curl -sfI {} < urls.txt`,
    )
    .action(async (words: string[], flags: RunFlags) => {
      process.exitCode = await runCommandPerInput(words, flags);
    });
}

async function runCommandPerInput(words: readonly string[], flags: RunFlags): Promise<number> {
  const { template, inputs } = splitInputs(words);
  if (template.length === 0)
    throw new UsageError('no command given: put it after --, e.g. taskmill run -- gzip -k {} ::: a b');
  if (inputs !== undefined && inputs.length === 0)
    throw new UsageError('no inputs after ::: (give at least one)');
  if (inputs === undefined && process.stdin.isTTY) {
    throw new UsageError('no inputs: give them after ::: or pipe them, one per line, on stdin');
  }

  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outputClosed = false;
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    // The reader went away (e.g. `| head`): stop quietly.
    outputClosed = true;
    if (error.code !== 'EPIPE') process.stderr.write(`taskmill run: cannot write output: ${error.message}\n`);
    controller.abort(error);
  };
  process.stdout.on('error', onOutputError);

  try {
    const summary = await runEach(template, inputs ?? stdinLines(), {
      jobs: flags.jobs,
      keepGoing: flags.keepGoing,
      signal: controller.signal,
      command: {
        ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
        ...(flags.maxOutput !== undefined ? { maxBuffer: flags.maxOutput } : {}),
        encoding: 'buffer', // pass output through byte for byte (it may be binary)
      },
      onOutcome: (each) => (outputClosed ? undefined : printOutcome(each)),
    });
    if (interrupted) {
      process.stderr.write('taskmill run: interrupted; running commands were killed\n');
      return 130;
    }
    if (summary.failed.length === 0 && summary.notRun === 0) return 0;
    process.stderr.write(`${describeFailures(summary.failed, summary.total, summary.notRun)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onOutputError);
  }
}

async function* stdinLines(): AsyncGenerator<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line.length > 0) yield line;
}

async function write(stream: Writable, data: string | Buffer): Promise<void> {
  if (data.length === 0) return;
  if (!stream.write(data)) await once(stream, 'drain');
}

async function printOutcome(each: EachOutcome): Promise<void> {
  const { outcome } = each;
  if (outcome.status === 'fulfilled') {
    await write(process.stdout, outcome.value.stdout);
    await write(process.stderr, outcome.value.stderr);
    return;
  }
  const error = outcome.reason;
  if (error instanceof CommandStoppedError) {
    await write(process.stdout, error.result.stdout);
    await write(process.stderr, error.result.stderr);
  }
  await write(process.stderr, `taskmill run: ${error instanceof Error ? error.message : String(error)}\n`);
}

const SHOWN = 3;

/** "3 of 100 commands failed: gzip -k a (exit 1); … and 1 more". */
export function describeFailures(failed: readonly EachOutcome[], total: number, notRun: number): string {
  const parts = failed.slice(0, SHOWN).map(describeOne);
  if (failed.length > SHOWN) parts.push(`and ${failed.length - SHOWN} more`);
  const head = `${failed.length} of ${total} ${total === 1 ? 'command' : 'commands'} failed`;
  const skipped = notRun > 0 ? `; ${notRun} not run (stopped after the first failure)` : '';
  return `${head}${parts.length > 0 ? `: ${parts.join('; ')}` : ''}${skipped}`;
}

function describeOne(each: EachOutcome): string {
  const line = displayCommand(each.command, each.args);
  const { outcome } = each;
  if (outcome.status === 'fulfilled') {
    const { exitCode, signal } = outcome.value;
    return `${line} (${signal !== null ? `killed by ${signal}` : `exit ${exitCode}`})`;
  }
  const code = (outcome.reason as { code?: unknown }).code;
  const why =
    code === 'ERR_TASKMILL_COMMAND_NOT_FOUND'
      ? 'not found'
      : code === 'ERR_TASKMILL_COMMAND_TIMEOUT'
        ? 'timed out'
        : code === 'ERR_TASKMILL_OUTPUT_LIMIT'
          ? 'too much output'
          : code === 'ERR_TASKMILL_COMMAND_ABORTED'
            ? 'aborted'
            : 'could not run';
  return `${line} (${why})`;
}
