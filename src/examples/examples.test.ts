/**
 * Every example runs as its own process, as a user would run it, and its output is checked.
 * Add an entry per example: its file name and what its output must show.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../subprocess/run-command.js';

async function runExample(name: string): Promise<string> {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const result = await runCommand(process.execPath, [file], { timeout: 60_000 });
  assert.equal(result.exitCode, 0, `${name} failed:\n${result.stderr}`);
  return result.stdout;
}

/** The number after `label` in the output. */
function numberAfter(output: string, label: string): number {
  const match = new RegExp(`${label}\\s+(-?\\d+)`).exec(output);
  assert.ok(match, `no "${label}" line in:\n${output}`);
  return Number(match[1]);
}

describe('examples', { concurrency: 2 }, () => {
  it('letters-queue: two consumers take the 26 letters, each exactly once, and end cleanly', async () => {
    const output = await runExample('letters-queue');
    const got = [...output.matchAll(/^consumer ([12]) got ([a-z])$/gm)];
    assert.deepEqual(
      got.map((m) => m[2]).sort(),
      Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i)),
    );
    assert.match(output, /join\(\) returned: 26 letters handled, each exactly once: true/);
    assert.match(output, /consumer 1 stops/);
    assert.match(output, /consumer 2 stops/);
  });

  for (const name of ['bank-balance-async', 'bank-balance-threads']) {
    it(`${name}: the balance is wrong without a lock and exact with one`, async () => {
      const output = await runExample(name);
      const expected = numberAfter(output, 'expected balance:');
      assert.ok(numberAfter(output, 'without a lock:') < expected);
      assert.equal(numberAfter(output, 'with a (?:Shared)?Lock:'), expected);
      assert.match(output, /\(exact\)/);
    });
  }

  it('subprocess-stdin: a program fed on stdin, its output and exit code; a missing program is a clear error', async () => {
    const output = await runExample('subprocess-stdin');
    assert.match(output, /cherry\nbanana\napple\nExit code: 0\n/);
    assert.match(output, /wc says 3 lines; exit code 0/);
    assert.match(output, /ERR_TASKMILL_COMMAND_NOT_FOUND for "nslookup-that-is-not-installed"/);
  });
});
