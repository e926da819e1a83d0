import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TIMER_MS, startTimer } from './long-timer.js';

describe('startTimer', () => {
  it('fires after a short delay', async () => {
    await new Promise<void>((resolve) => startTimer(resolve, 5, false));
  });

  it('does not fire early for delays past setTimeout limit (2^31 ms and more)', async () => {
    let fired = 0;
    const timers = [MAX_TIMER_MS + 1, 2 ** 31, 2 ** 40, Number.POSITIVE_INFINITY].map((ms) =>
      startTimer(() => fired++, ms),
    );
    // A plain setTimeout of 2^31 ms fires after ~1 ms; give these several event-loop turns and timers.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(fired, 0);
    for (const timer of timers) timer.clear();
  });

  it('does not fire once cleared', async () => {
    let fired = false;
    const timer = startTimer(() => {
      fired = true;
    }, 1);
    timer.clear();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fired, false);
  });
});
