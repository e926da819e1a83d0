/** What a finished (or stopped) command produced; output is text unless `encoding: 'buffer'` was asked. */
export interface CommandResult<Output extends string | Buffer = string> {
  readonly command: string;
  readonly args: readonly string[];
  /** The command line for messages, e.g. `sh -c 'exit 3'` (quoted for reading, never run). */
  readonly display: string;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Exit status, or null when the process was killed by a signal. */
  readonly exitCode: number | null;
  /** The signal that killed the process, or null. */
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** True when `timeout` elapsed and the process tree was killed. */
  readonly timedOut: boolean;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A readable, shell-quoted rendering of a command line (for messages only). */
export function displayCommand(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((word) => (SAFE.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`))
    .join(' ');
}
