import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRunning, makeFifo } from '../../subprocess/fixtures/process-state.js';
import { runCommand } from '../../subprocess/run-command.js';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'taskmill-run-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the built CLI as a real child process. */
function taskmill(
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return runCommand(process.execPath, [main, ...args], {
    cwd: scratch,
    ...(input !== undefined ? { input } : {}),
  }).then((r) => ({ stdout: r.stdout, stderr: r.stderr, status: r.exitCode }));
}

// Each test starts its own CLI processes and files; they run side by side to keep the suite quick.
describe('taskmill run', { concurrency: 4 }, () => {
  it('runs the template once per input after :::, at once, and prints output in input order', async () => {
    const fifo = join(scratch, 'order-fifo');
    execFileSync('mkfifo', [fifo]);
    // "first" cannot finish before "last" has run (it waits on the pipe "last" writes to),
    // so the commands finish out of order; their output still comes in input order.
    const script =
      'if [ "$1" = first ]; then read line < "$2"; else echo go > "$2"; fi; echo "out $1"; echo "err $1" >&2';
    const { stdout, stderr, status } = await taskmill([
      'run',
      '-j',
      '2',
      '--',
      'sh',
      '-c',
      script,
      'sh',
      '{}',
      fifo,
      ':::',
      'first',
      'last',
    ]);
    assert.equal(status, 0, stderr);
    assert.equal(stdout, 'out first\nout last\n');
    assert.equal(stderr, 'err first\nerr last\n');
  });

  it('reads inputs from stdin, one per line, and appends each as the last argument when there is no {}', async () => {
    const { stdout, status } = await taskmill(
      ['run', '-j', '3', '--', 'printf', '<%s>\\n'],
      'one\ntwo words\n\nthree\n',
    );
    assert.equal(status, 0);
    assert.equal(stdout, '<one>\n<two words>\n<three>\n');
  });

  it('passes binary output through byte for byte', async () => {
    const result = await runCommand(
      process.execPath,
      [main, 'run', '--', 'sh', '-c', 'printf "\\377\\000$1"', 'sh', ':::', 'a', 'b'],
      {
        encoding: 'buffer',
      },
    );
    assert.equal(result.exitCode, 0);
    assert.deepEqual([...result.stdout], [0xff, 0x00, 0x61, 0xff, 0x00, 0x62]);
  });

  it('never lets an input reach a shell: hostile inputs stay single, literal arguments', async () => {
    const hostile = ['$(touch pwned1)', '; touch pwned2', '`touch pwned3`', "' && touch pwned4 '"];
    const { stdout, status } = await taskmill(['run', '--', 'printf', '%s|', '{}', ':::', ...hostile]);
    assert.equal(status, 0);
    assert.equal(stdout, hostile.map((h) => `${h}|`).join(''));
    for (let i = 1; i <= 4; i++) assert.equal(existsSync(join(scratch, `pwned${i}`)), false);
  });

  it('exits 1 with a one-line summary when some commands fail, and still runs the others', async () => {
    const { stdout, stderr, status } = await taskmill([
      'run',
      '-j',
      '2',
      '--',
      'sh',
      '-c',
      'echo "ran $1"; [ "$1" -ne 2 ] && [ "$1" -ne 4 ]',
      'sh',
      ':::',
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    assert.equal(status, 1);
    assert.equal(stdout, 'ran 1\nran 2\nran 3\nran 4\nran 5\n');
    const summary = stderr.trimEnd().split('\n').at(-1) ?? '';
    assert.match(summary, /^2 of 5 commands failed: sh -c .* 2 \(exit 1\); sh -c .* 4 \(exit 1\)$/);
  });

  it('reports a missing program and a timeout (whose process tree is killed) as failures', async () => {
    const missing = await taskmill(['run', '--', 'no-such-program-taskmill', ':::', 'a']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /command not found: "no-such-program-taskmill"/);
    assert.match(missing.stderr, /1 of 1 command failed: no-such-program-taskmill a \(not found\)/);

    const slow = await taskmill(['run', '--timeout', '100', '--', 'sleep', ':::', '30']);
    assert.equal(slow.status, 1);
    assert.match(slow.stderr, /sleep 30 timed out after 100 ms/);
    assert.match(slow.stderr, /1 of 1 command failed: sleep 30 \(timed out\)/);
  });

  it('--no-keep-going starts nothing after the first failure', async () => {
    const { stdout, stderr, status } = await taskmill([
      'run',
      '-j',
      '1',
      '--no-keep-going',
      '--',
      'sh',
      '-c',
      'echo "ran $1"; exit 1',
      'sh',
      ':::',
      'a',
      'b',
      'c',
    ]);
    assert.equal(status, 1);
    assert.equal(stdout, 'ran a\n');
    assert.match(stderr, /1 of 3 commands failed: .*; 2 not run/);
  });

  it('exits 2 for usage errors', async () => {
    const cases = [
      ['run', '-j', '0', '--', 'echo', ':::', 'a'],
      ['run', '-j', 'many', '--', 'echo', ':::', 'a'],
      ['run', '--', 'echo', ':::'],
      ['run', '--', ':::', 'a'],
    ];
    const results = await Promise.all(cases.map((args) => taskmill(args)));
    results.forEach(({ status, stderr }, i) => {
      assert.equal(status, 2, `${cases[i]?.join(' ')} → ${stderr}`);
      assert.match(stderr, /taskmill: /);
    });
  });

  it('Ctrl-C (SIGINT) kills the running commands with everything they started, then exits 130', async () => {
    const fifo = makeFifo(scratch);
    const cli = spawn(
      process.execPath,
      [main, 'run', '--', 'sh', '-c', 'sleep 30 & echo $! > "$1"; wait', 'sh', '{}', ':::', fifo],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(cli, 'close'); // after exit and after its output is fully read
    const grandchild = Number((await readFile(fifo, 'utf8')).trim());
    assert.ok(isRunning(grandchild));
    cli.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130);
    assert.match(stderr, /interrupted; running commands were killed/);
    assert.equal(isRunning(grandchild), false, `grandchild ${grandchild} must be gone`);
  });
});
