/**
 * Runs an external program and collects what it prints (the seeds' `subprocess.call` and
 * `Popen.communicate`), without a shell: arguments go to the program exactly as given, so
 * untrusted input cannot inject shell syntax.
 *
 * ```ts
 * const { stdout, exitCode } = await runCommand('sort', ['-r'], { input: 'a\nb\n', timeout: 5000 });
 * ```
 * A non-zero exit status is a normal result (check `exitCode`, or pass `check: true` to get a
 * CommandFailedError). A missing program, a timeout, an abort or too much output reject with
 * an error naming it; timeouts and aborts kill the command and every process it started.
 */

import { constants as bufferConstants } from 'node:buffer';
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { type CommandResult, displayCommand } from './command-result.js';
import {
  CommandAbortedError,
  CommandFailedError,
  CommandNotFoundError,
  CommandStartError,
  CommandTimeoutError,
  OutputLimitError,
} from './errors.js';
import { ownProcessGroup, signalTree, trackTree, untrackTree } from './process-tree.js';

export interface RunOptions {
  /** Written to the command's stdin, which is then closed. Without it stdin is empty (/dev/null). */
  readonly input?: string | Uint8Array;
  /** Working directory; it must exist. */
  readonly cwd?: string;
  /** Environment variables, added to this process's own unless `extendEnv` is false. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** With false, `env` is the whole environment. Default true. */
  readonly extendEnv?: boolean;
  /** Milliseconds before the command and everything it started are killed (CommandTimeoutError). */
  readonly timeout?: number;
  /** Aborting kills the command and everything it started (CommandAbortedError). */
  readonly signal?: AbortSignal;
  /**
   * Most bytes kept per stream (stdout, stderr); beyond it the command is killed
   * (OutputLimitError). Default 16 MiB. As text (encoding 'utf8') a stream can hold at most
   * `buffer.constants.MAX_STRING_LENGTH` bytes (about 512 MiB), whatever this says: use
   * encoding 'buffer' for more.
   */
  readonly maxOutputBytes?: number;
  /** The same as `maxOutputBytes` (Node's `child_process` name for it). */
  readonly maxBuffer?: number;
  /**
   * Run through `/bin/sh -c` (cmd.exe on Windows). UNSAFE with untrusted input: anything in
   * the command line is shell syntax. A missing program then shows as exit status 127.
   */
  readonly shell?: boolean;
  /** Reject with CommandFailedError when the exit status is not 0. Default false. */
  readonly check?: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when stopping a command. Default 2000. */
  readonly killGrace?: number;
  /** 'utf8' (default): stdout and stderr as text. 'buffer': the exact bytes, for binary output. */
  readonly encoding?: 'utf8' | 'buffer';
}

const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/** Every key of RunOptions: any other is refused (a misspelled `maxOutput` would silently keep the default). */
export const RUN_OPTION_KEYS: readonly (keyof RunOptions)[] = [
  'input',
  'cwd',
  'env',
  'extendEnv',
  'timeout',
  'signal',
  'maxOutputBytes',
  'maxBuffer',
  'shell',
  'check',
  'killGrace',
  'encoding',
];
const DEFAULT_KILL_GRACE = 2000;

type Stop =
  | { kind: 'timeout' }
  | { kind: 'abort'; reason: unknown }
  | { kind: 'output'; stream: 'stdout' | 'stderr' };

export function runCommand(
  command: string,
  args?: readonly string[],
  options?: RunOptions & { readonly encoding?: 'utf8' },
): Promise<CommandResult>;
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions & { readonly encoding: 'buffer' },
): Promise<CommandResult<Buffer>>;
export function runCommand(
  command: string,
  args: readonly string[] = [],
  options: RunOptions = {},
): Promise<CommandResult<string | Buffer>> {
  return runAny(command, args, options);
}

/** @internal runCommand without the overloads: output is text or bytes as `options.encoding` says. */
export async function runAny(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult<string | Buffer>> {
  validate(command, args, options);
  const display = displayCommand(command, args);
  const asked = options.maxOutputBytes ?? options.maxBuffer ?? DEFAULT_MAX_BUFFER;
  const asBytes = options.encoding === 'buffer';
  // As text, a stream can be no longer than the longest string: past it, toString() would throw
  // ERR_STRING_TOO_LONG in the 'close' handler, out of reach of the caller.
  const textCap = asBytes ? Number.POSITIVE_INFINITY : bufferConstants.MAX_STRING_LENGTH;
  const textLimit = asked > textCap;
  const maxBuffer = Math.min(asked, textCap);
  const killGrace = options.killGrace ?? DEFAULT_KILL_GRACE;
  const { signal } = options;
  const env = options.extendEnv === false ? { ...options.env } : { ...process.env, ...options.env };
  const notStarted = (): CommandResult<string | Buffer> => ({
    command,
    args,
    display,
    stdout: asBytes ? Buffer.alloc(0) : '',
    stderr: asBytes ? Buffer.alloc(0) : '',
    exitCode: null,
    signal: null,
    durationMs: 0,
    timedOut: false,
  });
  if (signal?.aborted) throw new CommandAbortedError(notStarted(), signal.reason);
  if (options.cwd !== undefined) await assertDirectory(options.cwd);

  const started = performance.now();
  return new Promise<CommandResult<string | Buffer>>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [...args], {
        cwd: options.cwd,
        env,
        shell: options.shell === true,
        detached: ownProcessGroup,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      reject(
        new InvalidArgumentError(`cannot run ${display}: ${(error as Error).message}`, { cause: error }),
      );
      return;
    }

    const out = new Collector(maxBuffer);
    const err = new Collector(maxBuffer);
    let stop: Stop | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let startError: Error | undefined;

    const stopTree = (why: Stop): void => {
      if (stop !== undefined || child.pid === undefined) return;
      stop = why;
      const pid = child.pid;
      signalTree(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalTree(pid, 'SIGKILL'), killGrace);
    };
    const onAbort = (): void => stopTree({ kind: 'abort', reason: signal?.reason });

    if (child.pid !== undefined && ownProcessGroup) trackTree(child.pid);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!out.add(chunk)) stopTree({ kind: 'output', stream: 'stdout' });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!err.add(chunk)) stopTree({ kind: 'output', stream: 'stderr' });
    });
    if (child.stdin && options.input !== undefined) {
      // The command may exit without reading its input: that is not an error of ours.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
    if (options.timeout !== undefined) {
      timeoutTimer = setTimeout(() => stopTree({ kind: 'timeout' }), options.timeout);
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' without a pid: the program could not be started; 'close' still follows.
      startError = error;
    });
    child.on('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) {
        // A member that ignored SIGTERM and let go of the pipes must not linger.
        if (stop !== undefined) signalTree(child.pid, 'SIGKILL');
        untrackTree(child.pid);
      }
      if (startError !== undefined && child.pid === undefined) {
        const code = (startError as NodeJS.ErrnoException).code;
        reject(
          code === 'ENOENT'
            ? new CommandNotFoundError(command, env.PATH ?? '', startError)
            : new CommandStartError(command, startError),
        );
        return;
      }
      let stdout: string | Buffer;
      let stderr: string | Buffer;
      try {
        stdout = asBytes ? out.bytes() : out.bytes().toString('utf8');
        stderr = asBytes ? err.bytes() : err.bytes().toString('utf8');
      } catch (error) {
        reject(
          new InvalidArgumentError(
            `the output of ${display} cannot be returned as text (${(error as Error).message}): pass encoding: 'buffer'`,
            { cause: error },
          ),
        );
        return;
      }
      const result: CommandResult<string | Buffer> = {
        command,
        args,
        display,
        stdout,
        stderr,
        exitCode,
        signal: exitSignal,
        durationMs: performance.now() - started,
        timedOut: stop?.kind === 'timeout',
      };
      if (stop?.kind === 'timeout') reject(new CommandTimeoutError(result, options.timeout as number));
      else if (stop?.kind === 'abort') reject(new CommandAbortedError(result, stop.reason));
      else if (stop?.kind === 'output')
        reject(new OutputLimitError(result, stop.stream, maxBuffer, textLimit));
      else if (options.check === true && exitCode !== 0) reject(new CommandFailedError(result));
      else resolve(result);
    });
  });
}

/** Gathers one output stream up to a byte limit. */
class Collector {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Keeps the chunk (cut at the limit); false once the limit is exceeded. */
  add(chunk: Buffer): boolean {
    const room = this.#limit - this.#bytes;
    if (chunk.length > room) {
      if (room > 0) this.#chunks.push(chunk.subarray(0, room));
      this.#bytes = this.#limit;
      return false;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    return true;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

function validate(command: string, args: readonly string[], options: RunOptions): void {
  if (typeof command !== 'string' || command.length === 0) {
    throw new InvalidArgumentError('runCommand needs a program name or path, e.g. runCommand("ls", ["-l"])');
  }
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    throw new InvalidArgumentError('runCommand arguments must be an array of strings');
  }
  for (const word of [command, ...args]) {
    if (word.includes('\0'))
      throw new InvalidArgumentError(
        'a command or argument contains a NUL byte, which no program can receive',
      );
  }
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('runCommand options must be an object, e.g. { timeout: 5000 }');
  }
  assertKnownKeys(options, RUN_OPTION_KEYS, 'runCommand options');
  if (
    options.maxOutputBytes !== undefined &&
    options.maxBuffer !== undefined &&
    options.maxOutputBytes !== options.maxBuffer
  ) {
    throw new InvalidArgumentError(
      `maxOutputBytes (${options.maxOutputBytes}) and maxBuffer (${options.maxBuffer}) are the same limit: give one of them`,
    );
  }
  for (const key of ['timeout', 'maxOutputBytes', 'maxBuffer'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new InvalidArgumentError(`${key} must be a positive number, got ${String(value)}`);
    }
  }
  if (options.killGrace !== undefined && !(options.killGrace >= 0 && Number.isFinite(options.killGrace))) {
    throw new InvalidArgumentError(
      `killGrace must be zero or a positive number of ms, got ${options.killGrace}`,
    );
  }
  if (options.encoding !== undefined && options.encoding !== 'utf8' && options.encoding !== 'buffer') {
    throw new InvalidArgumentError(`encoding must be 'utf8' or 'buffer', got ${String(options.encoding)}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
}

async function assertDirectory(cwd: string): Promise<void> {
  const info = await stat(cwd).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new InvalidArgumentError(
      `cwd ${JSON.stringify(cwd)} is not an existing directory; create it or fix the path`,
    );
  }
}
