/** Errors from running external commands; each has a stable `code`. */
import { TaskmillError } from '../core/errors.js';
import type { CommandResult } from './command-result.js';

/** The program does not exist (or is not on PATH). */
export class CommandNotFoundError extends TaskmillError {
  readonly program: string;
  readonly searchPath: string;

  constructor(program: string, searchPath: string, cause?: unknown) {
    const where = program.includes('/')
      ? `no such file: ${program}`
      : `not found in PATH=${searchPath || '(empty)'}`;
    super(
      'ERR_TASKMILL_COMMAND_NOT_FOUND',
      `command not found: ${JSON.stringify(program)} (${where}); install it, fix PATH, or give its full path`,
      { cause },
    );
    this.program = program;
    this.searchPath = searchPath;
  }
}

/** The program exists but could not be started (not executable, too many processes, …). */
export class CommandStartError extends TaskmillError {
  readonly program: string;

  constructor(program: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_TASKMILL_COMMAND_START',
      `could not start ${JSON.stringify(program)}: ${detail}; check that it is an executable file you may run`,
      { cause },
    );
    this.program = program;
  }
}

/** Base of the errors that end a running command early; `result` holds what it printed until then. */
export abstract class CommandStoppedError extends TaskmillError {
  /** Output gathered before the command was stopped, its exit code/signal and duration. */
  readonly result: CommandResult<string | Buffer>;

  constructor(code: string, message: string, result: CommandResult<string | Buffer>, cause?: unknown) {
    super(code, message, { cause });
    this.result = result;
  }
}

/** The command ran longer than `timeout`; it and every process it started were killed. */
export class CommandTimeoutError extends CommandStoppedError {
  readonly timeout: number;

  constructor(result: CommandResult<string | Buffer>, timeout: number) {
    super(
      'ERR_TASKMILL_COMMAND_TIMEOUT',
      `${result.display} timed out after ${timeout} ms and was killed with every process it started; raise the timeout if it needs longer`,
      result,
    );
    this.timeout = timeout;
  }
}

/** The command's AbortSignal fired; it and every process it started were killed. */
export class CommandAbortedError extends CommandStoppedError {
  constructor(result: CommandResult<string | Buffer>, reason: unknown) {
    const why =
      reason instanceof Error ? `: ${reason.message}` : reason === undefined ? '' : `: ${String(reason)}`;
    super('ERR_TASKMILL_COMMAND_ABORTED', `${result.display} was aborted${why}`, result, reason);
  }
}

/**
 * The command printed more than `maxOutputBytes` bytes on one stream, or, as text, more than a
 * JavaScript string can hold (`textLimit`, about 512 MiB); it was killed.
 */
export class OutputLimitError extends CommandStoppedError {
  readonly stream: 'stdout' | 'stderr';
  /** The limit that was passed, in bytes. */
  readonly maxBuffer: number;
  /** True when the limit was the largest string (buffer.constants.MAX_STRING_LENGTH), not the option's. */
  readonly textLimit: boolean;

  constructor(
    result: CommandResult<string | Buffer>,
    stream: 'stdout' | 'stderr',
    maxBuffer: number,
    textLimit = false,
  ) {
    super(
      'ERR_TASKMILL_OUTPUT_LIMIT',
      textLimit
        ? `${result.display} wrote more than ${maxBuffer} bytes to ${stream}, more than a JavaScript string can hold, and was killed; pass encoding: 'buffer' to collect the bytes, or have it write to a file`
        : `${result.display} wrote more than ${maxBuffer} bytes to ${stream} and was killed; raise the limit (maxOutputBytes, or --max-output for taskmill run) or have it write to a file`,
      result,
    );
    this.stream = stream;
    this.maxBuffer = maxBuffer;
    this.textLimit = textLimit;
  }
}

/** `check: true` and the command exited with a non-zero status or died from a signal. */
export class CommandFailedError extends CommandStoppedError {
  constructor(result: CommandResult<string | Buffer>) {
    const how =
      result.signal !== null ? `was killed by ${result.signal}` : `exited with status ${result.exitCode}`;
    const tail = lastLine(result.stderr.toString());
    super('ERR_TASKMILL_COMMAND_FAILED', `${result.display} ${how}${tail ? `: ${tail}` : ''}`, result);
  }
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  return last.length > 200 ? `${last.slice(0, 200)}…` : last;
}
