/**
 * parallel-progress in a real terminal (tmux): the bar, the verbose "Done k of n" lines and the
 * example's own output each keep their own lines, and the bar is never drawn after the example
 * has ended (the shell's next prompt stays clean). What the screen shows is asserted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('./parallel-progress.js', import.meta.url));

describe('parallel-progress on a terminal', { timeout: 60_000 }, () => {
  it('keeps bar, verbose lines and output apart, and draws nothing after the prompt', async () => {
    const session = `tm-${randomUUID().slice(0, 8)}`;
    const ended = `${session}-ended`;
    try {
      // After the example: a prompt line, a signal to this test, then the session stays open.
      const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(EXAMPLE)}; echo "PROMPT\\$ "; tmux wait-for -S ${ended}; sleep 30`;
      await run('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', script]);
      // A signal sent before this waits is kept by tmux: no race.
      await run('tmux', ['wait-for', ended]);
      // Long enough for any redraw timer (10 per second) to fire, were one left behind.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const { stdout: screen } = await run('tmux', ['capture-pane', '-p', '-t', session]);
      const lines = screen
        .split('\n')
        .map((line) => line.trimEnd())
        .filter((line) => line !== '');
      const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
      // Each verbose line whole, on a line of its own, counts rising from 1 to 24.
      const counts = lines
        .filter((line) => line.includes(']: Done'))
        .map((line) => {
          const match = /^\[parallel\(jobs=\d+\)\]: Done (\d+) of 24 \| elapsed: \S+$/.exec(line);
          assert.ok(match !== null, `a whole verbose line: ${JSON.stringify(line)}\n${screen}`);
          return Number(match[1]);
        });
      assert.equal(counts[0], 1, screen);
      assert.equal(counts.at(-1), 24, screen);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        screen,
      );
      // One bar line, complete, after the verbose lines and before the output.
      const bars = lines.filter((line) => line.startsWith('fib ['));
      assert.equal(bars.length, 1, screen);
      assert.match(bars[0] as string, /^fib \[\u2588{40}\] 24\/24 \| \S+\/s \| elapsed \S+ \| ETA \S+$/);
      const bar = at(/^fib \[/);
      assert.ok(bar > at(/Done 24 of 24/), screen);
      assert.ok(at(/^24 results, in input order; fib\(24\) = 46368$/) === bar + 1, screen);
      assert.ok(at(/^all correct: true$/) === bar + 2, screen);
      // The prompt comes last, and nothing was drawn after it.
      assert.equal(lines.at(-1), 'PROMPT$', screen);
    } finally {
      await run('tmux', ['kill-session', '-t', session]).catch(() => {});
    }
  });
});
