import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('token bucket (--rate)', () => {
  it('lets a burst through, then spaces requests 1/rate apart, in call order', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    assert.deepEqual(
      [bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()].map(Math.round),
      [0, 0, 100, 200],
    );
    now = 1000; // a second later the bucket is full again (burst 2), after paying back the two borrowed tokens
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()].map(Math.round), [0, 0, 100]);
  });

  it('never waits when the rate is 0 (unlimited)', () => {
    const bucket = new TokenBucket(0, 1, () => 0);
    for (let i = 0; i < 100; i++) assert.equal(bucket.reserve(), 0);
  });

  it('holds n requests to about n / rate seconds', () => {
    const now = 0;
    const bucket = new TokenBucket(50, 1, () => now);
    let last = 0;
    for (let i = 0; i < 500; i++) last = bucket.reserve();
    assert.equal(Math.round(last), Math.round((499 / 50) * 1000));
  });
});
