import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CommandAbortedError,
  CommandFailedError,
  CommandNotFoundError,
  CommandTimeoutError,
  OutputLimitError,
} from './errors.js';
import { isRunning, makeFifo } from './fixtures/process-state.js';
import { runCommand } from './run-command.js';
import { runMany } from './run-many.js';

const scratch = mkdtempSync(join(tmpdir(), 'taskmill-subprocess-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('runCommand', () => {
  it('collects stdout, stderr, exit code and duration (subprocess.call)', async () => {
    const result = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
    assert.equal(result.exitCode, 3);
    assert.equal(result.signal, null);
    assert.equal(result.timedOut, false);
    assert.ok(result.durationMs > 0);
  });

  it('feeds input on stdin (Popen.communicate)', async () => {
    const result = await runCommand('cat', [], { input: 'set q=mx\npython.org\nexit\n' });
    assert.equal(result.stdout, 'set q=mx\npython.org\nexit\n');
    assert.equal(result.exitCode, 0);
    const bytes = await runCommand('wc', ['-c'], { input: new Uint8Array(1000) });
    assert.equal(bytes.stdout.trim(), '1000');
  });

  it("encoding: 'buffer' keeps binary output byte for byte", async () => {
    const result = await runCommand('sh', ['-c', 'printf "\\377\\000\\001"; printf "\\376" >&2'], {
      encoding: 'buffer',
    });
    assert.deepEqual([...result.stdout], [0xff, 0x00, 0x01]);
    assert.deepEqual([...result.stderr], [0xfe]);
    const input = Buffer.from([0, 200, 255, 10]);
    const echoed = await runCommand('cat', [], { input, encoding: 'buffer' });
    assert.deepEqual(echoed.stdout, input);
  });

  it('passes arguments as they are: no shell, so no injection', async () => {
    const hostile = '$(echo pwned); echo injected > /dev/stderr';
    const result = await runCommand('printf', ['%s', hostile]);
    assert.equal(result.stdout, hostile);
    assert.equal(result.stderr, '');
  });

  it('runs in cwd with env added to the inherited environment (or replacing it)', async () => {
    const result = await runCommand(
      'sh',
      ['-c', 'pwd; echo "$GREETING"; test -n "$HOME" && echo has-home || echo'],
      {
        cwd: scratch,
        env: { GREETING: 'hello' },
      },
    );
    const [pwd, greeting, home] = result.stdout.trimEnd().split('\n');
    assert.equal(realpathSync(pwd ?? ''), realpathSync(scratch));
    assert.equal(greeting, 'hello');
    assert.equal(home ?? '', process.env.HOME ? 'has-home' : '');
    const bare = await runCommand('/bin/sh', ['-c', 'echo "[$HOME]"'], {
      env: { PATH: '/usr/bin:/bin' },
      extendEnv: false,
    });
    assert.equal(bare.stdout, '[]\n');
    await assert.rejects(
      runCommand('true', [], { cwd: join(scratch, 'missing') }),
      /is not an existing directory/,
    );
  });

  it('a missing program is a CommandNotFoundError naming it and PATH', async () => {
    await assert.rejects(
      runCommand('no-such-program-taskmill', ['x'], { env: { PATH: '/nowhere:/bin' } }),
      (error: unknown) => {
        assert.ok(error instanceof CommandNotFoundError);
        assert.equal(error.code, 'ERR_TASKMILL_COMMAND_NOT_FOUND');
        assert.equal(error.program, 'no-such-program-taskmill');
        assert.match(error.message, /no-such-program-taskmill.*PATH=\/nowhere:\/bin/);
        return true;
      },
    );
  });

  it('a timeout kills the command and reports that it timed out', async () => {
    await assert.rejects(runCommand('sleep', ['30'], { timeout: 100 }), (error: unknown) => {
      assert.ok(error instanceof CommandTimeoutError);
      assert.equal(error.code, 'ERR_TASKMILL_COMMAND_TIMEOUT');
      assert.equal(error.result.timedOut, true);
      assert.equal(error.result.signal, 'SIGTERM');
      assert.match(error.message, /sleep 30 timed out after 100 ms/);
      return true;
    });
  });

  it('an abort kills the whole process tree, grandchildren included', async () => {
    const fifo = makeFifo(scratch);
    const controller = new AbortController();
    // sh starts a grandchild (sleep) that would outlive a kill of sh alone, and keep the pipes open.
    const running = runCommand('sh', ['-c', 'sleep 30 & echo $! > "$1"; wait', 'sh', fifo], {
      signal: controller.signal,
    });
    const grandchild = Number((await readFile(fifo, 'utf8')).trim());
    assert.ok(grandchild > 0 && isRunning(grandchild), 'the grandchild is running before the abort');
    controller.abort(new Error('user pressed stop'));
    await assert.rejects(running, (error: unknown) => {
      assert.ok(error instanceof CommandAbortedError);
      assert.match(error.message, /was aborted: user pressed stop/);
      return true;
    });
    assert.equal(isRunning(grandchild), false, `grandchild ${grandchild} must be gone`);
  });

  it('a timeout kills the tree too, even when the command ignores SIGTERM', async () => {
    const fifo = makeFifo(scratch);
    const running = runCommand('sh', ['-c', 'trap "" TERM; sleep 30 & echo $! > "$1"; wait', 'sh', fifo], {
      timeout: 200,
      killGrace: 50,
    });
    const grandchild = Number((await readFile(fifo, 'utf8')).trim());
    await assert.rejects(running, CommandTimeoutError);
    assert.equal(isRunning(grandchild), false, `grandchild ${grandchild} must be gone`);
  });

  it('too much output is an OutputLimitError and the command is killed', async () => {
    await assert.rejects(runCommand('yes', [], { maxBuffer: 1000 }), (error: unknown) => {
      assert.ok(error instanceof OutputLimitError);
      assert.equal(error.stream, 'stdout');
      assert.equal(error.result.stdout.length, 1000);
      assert.match(error.message, /more than 1000 bytes to stdout/);
      return true;
    });
  });

  it('check: true turns a non-zero exit into CommandFailedError with the last stderr line', async () => {
    await assert.rejects(
      runCommand('sh', ['-c', 'echo "disk full" >&2; exit 2'], { check: true }),
      (error: unknown) => {
        assert.ok(error instanceof CommandFailedError);
        assert.match(error.message, /exited with status 2: disk full/);
        assert.equal(error.result.exitCode, 2);
        return true;
      },
    );
  });

  it('an already-aborted signal starts nothing; bad options are refused', async () => {
    await assert.rejects(runCommand('true', [], { signal: AbortSignal.abort() }), CommandAbortedError);
    await assert.rejects(runCommand('true', [], { timeout: -1 }), { code: 'ERR_TASKMILL_INVALID_ARGUMENT' });
    await assert.rejects(runCommand('echo', ['a\0b']), /NUL byte/);
    await assert.rejects(runCommand(''), /needs a program name/);
  });

  it('shell: true runs a command line through sh', async () => {
    const result = await runCommand('echo $((6 * 7))', [], { shell: true });
    assert.equal(result.stdout, '42\n');
  });
});

describe('runMany', () => {
  it('returns every outcome in input order, failures included', async () => {
    const outcomes = await runMany(
      [
        { command: 'sh', args: ['-c', 'echo first'] },
        { command: 'no-such-program-taskmill' },
        { command: 'sh', args: ['-c', 'echo third; exit 4'] },
      ],
      { concurrency: 2 },
    );
    assert.equal(outcomes.length, 3);
    const [first, second, third] = outcomes;
    assert.equal(first?.status === 'fulfilled' && first.value.stdout, 'first\n');
    assert.ok(second?.status === 'rejected' && second.reason instanceof CommandNotFoundError);
    assert.ok(
      third?.status === 'fulfilled' && third.value.exitCode === 4 && third.value.stdout === 'third\n',
    );
  });

  it('never has more than `concurrency` commands alive', async () => {
    const dir = mkdtempSync(join(scratch, 'slots-'));
    // Each command counts the others alive (marker files) when it starts, then removes its marker.
    const script = 'touch "$1/$2"; ls "$1" | wc -l; rm "$1/$2"';
    const outcomes = await runMany(
      Array.from({ length: 8 }, (_, i) => ({ command: 'sh', args: ['-c', script, 'sh', dir, String(i)] })),
      { concurrency: 3 },
    );
    const alive = outcomes.map((o) => (o.status === 'fulfilled' ? Number(o.value.stdout.trim()) : -1));
    assert.ok(
      alive.every((n) => n >= 1 && n <= 3),
      `at most 3 alive at once, saw ${alive.join(',')}`,
    );
  });
});
