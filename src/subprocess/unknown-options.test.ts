/**
 * runCommand, runMany and runEach refuse option keys they do not know, naming the closest valid
 * one (`maxOutput` -> `maxOutputBytes`), before anything runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { OutputLimitError } from './errors.js';
import { runCommand } from './run-command.js';
import { runEach } from './run-each.js';
import { runMany } from './run-many.js';

function refused(where: string, key: string, closest: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(error)}`);
    assert.equal(error.code, 'ERR_TASKMILL_INVALID_ARGUMENT');
    assert.ok(error.message.startsWith(`${where} has no option "${key}"`), error.message);
    assert.ok(error.message.includes(`did you mean "${closest}"?`), error.message);
    return true;
  };
}

describe('subprocess: unknown option keys', { timeout: 60_000 }, () => {
  it('runCommand({ maxOutput }) names maxOutputBytes; maxOutputBytes is the limit', async () => {
    await assert.rejects(
      runCommand('node', ['-e', ''], { maxOutput: 10 } as never),
      refused('runCommand options', 'maxOutput', 'maxOutputBytes'),
    );
    await assert.rejects(
      runCommand('node', ['-e', ''], { timout: 10 } as never),
      refused('runCommand options', 'timout', 'timeout'),
    );
    // The key it suggested is the limit, and maxBuffer (Node's name) still works the same.
    const big = ['-e', 'process.stdout.write("x".repeat(100))'];
    await assert.rejects(runCommand('node', big, { maxOutputBytes: 10 }), OutputLimitError);
    await assert.rejects(runCommand('node', big, { maxBuffer: 10 }), OutputLimitError);
    await assert.rejects(
      runCommand('node', big, { maxOutputBytes: 10, maxBuffer: 20 }),
      (error: unknown) => error instanceof InvalidArgumentError && /same limit/.test(error.message),
    );
    assert.equal((await runCommand('node', big, { maxOutputBytes: 100 })).stdout.length, 100);
  });

  it('runMany: its own options, each command and its options', async () => {
    await assert.rejects(
      runMany([{ command: 'true' }], { concurency: 2 } as never),
      refused('runMany options', 'concurency', 'concurrency'),
    );
    await assert.rejects(
      runMany([{ command: 'true' }, { command: 'true', arg: [] }] as never),
      refused('runMany command 1', 'arg', 'args'),
    );
    await assert.rejects(
      runMany([{ command: 'true', options: { maxOutput: 1 } }] as never),
      refused('runMany command 0 options', 'maxOutput', 'maxOutputBytes'),
    );
    const [outcome] = await runMany([{ command: 'true', options: { maxOutputBytes: 10 } }]);
    assert.equal(outcome?.status, 'fulfilled');
  });

  it('runEach: its own options and the command options', async () => {
    const seen: string[] = [];
    const onOutcome = (outcome: { input: string }) => {
      seen.push(outcome.input);
    };
    await assert.rejects(
      runEach(['echo', '{}'], ['a'], { jobs: 1, onOutcome, keepgoing: false } as never),
      refused('runEach options', 'keepgoing', 'keepGoing'),
    );
    await assert.rejects(
      runEach(['echo', '{}'], ['a'], { jobs: 1, onOutcome, command: { timeOut: 5 } } as never),
      refused('runEach command options', 'timeOut', 'timeout'),
    );
    assert.deepEqual(seen, [], 'nothing ran');
    await runEach(['echo', '{}'], ['a'], { jobs: 1, onOutcome, command: { maxOutputBytes: 100 } });
    assert.deepEqual(seen, ['a']);
  });
});
