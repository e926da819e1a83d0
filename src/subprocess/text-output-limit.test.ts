/**
 * More text than a JavaScript string can hold (about 512 MiB) rejects with OutputLimitError
 * instead of crashing the caller with an uncaught ERR_STRING_TOO_LONG; as bytes it is collected.
 */
import assert from 'node:assert/strict';
import { constants as bufferConstants } from 'node:buffer';
import { describe, it } from 'node:test';
import { OutputLimitError } from './errors.js';
import { runCommand } from './run-command.js';

const LONGEST = bufferConstants.MAX_STRING_LENGTH;
/** Writes `mib` MiB of 'x' to stdout as fast as the pipe takes it. */
const writer = (mib: number) => [
  '-e',
  `const chunk = Buffer.alloc(1 << 20, 120); let left = ${mib};
   const more = () => { while (left > 0) { left--; if (!process.stdout.write(chunk)) return process.stdout.once('drain', more); } };
   more();`,
];

describe('runCommand: text output past the longest string', { timeout: 120_000 }, () => {
  it('rejects with OutputLimitError (textLimit) when asked for 600 MiB of text, and the caller lives', async () => {
    const started = Date.now();
    const error = await runCommand('node', writer(600), { maxOutputBytes: 1 << 30 }).catch((e: unknown) => e);
    assert.ok(error instanceof OutputLimitError, String(error));
    assert.equal(error.code, 'ERR_TASKMILL_OUTPUT_LIMIT');
    assert.equal(error.textLimit, true);
    assert.equal(error.stream, 'stdout');
    assert.equal(error.maxBuffer, LONGEST);
    assert.match(error.message, /more than a JavaScript string can hold.*encoding: 'buffer'/);
    // What it kept is the longest string there is, as text.
    assert.equal(error.result.stdout.length, LONGEST);
    console.log(`# 600 MiB of text refused in ${Date.now() - started} ms`);
  });

  it('a lower bound set by the option is its own limit (textLimit false)', async () => {
    const error = await runCommand('node', writer(4), { maxOutputBytes: 1 << 20 }).catch((e: unknown) => e);
    assert.ok(error instanceof OutputLimitError, String(error));
    assert.equal(error.textLimit, false);
    assert.equal(error.maxBuffer, 1 << 20);
  });
});
