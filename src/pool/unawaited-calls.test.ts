/**
 * Node never exits with a call unsettled while reporting success: calls made with no await and
 * no keep-alive of the caller's own still deliver their results, and a call nothing can ever
 * settle is rejected, saying why, before the process ends. Run in real child processes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./fixtures/unawaited-calls.js', import.meta.url));

describe('calls nobody awaits', () => {
  for (const backend of ['sequential', 'async', 'threads', 'processes']) {
    it(`a map issued in the same tick as close() delivers its results before the process ends (${backend})`, async () => {
      const { stdout } = await run(process.execPath, [script, backend, 'map-then-close'], {
        timeout: 30_000,
      });
      assert.match(stdout, /^map: 1,4,9$/m);
      assert.match(stdout, /^imap: 16$/m);
    });
  }

  for (const backend of ['sequential', 'async']) {
    it(`a call that can never settle is rejected before the process runs out (${backend})`, async () => {
      const { stdout } = await run(process.execPath, [script, backend, 'never-settles'], { timeout: 30_000 });
      assert.match(
        stdout,
        /^rejected: ERR_TASKMILL_ABORTED: the process ran out of work with 1 call\(s\) still pending/m,
      );
    });
  }
});
