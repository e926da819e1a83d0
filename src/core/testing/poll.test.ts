import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PollTimeoutError, pollUntil } from './poll.js';

describe('pollUntil (the tests’ polling helper)', { timeout: 10_000 }, () => {
  it('returns the first value the check gives', async () => {
    let calls = 0;
    const value = await pollUntil(() => (++calls === 3 ? 'ready' : undefined), { what: 'x', everyMs: 1 });
    assert.equal(value, 'ready');
    assert.equal(calls, 3);
  });

  it('gives up at its deadline with PollTimeoutError naming what it waited for', async () => {
    await assert.rejects(
      pollUntil(async () => undefined, { what: 'the marker file', deadlineMs: 50, everyMs: 5 }),
      (error: unknown) =>
        error instanceof PollTimeoutError &&
        error.code === 'ERR_TASKMILL_POLL_TIMEOUT' &&
        error.message === 'the marker file: not reached within 50 ms',
    );
  });
});
