import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { assertKnownKeys, closestKey } from './option-keys.js';

describe('assertKnownKeys', () => {
  const known = ['timeout', 'maxOutputBytes', 'signal', 'cwd'];

  it('accepts objects whose keys are all known, and empty ones', () => {
    assertKnownKeys({ timeout: 1, cwd: '/' }, known, 'runCommand options');
    assertKnownKeys({}, known, 'runCommand options');
  });

  it('refuses an unknown key, naming it, the closest known key and the object', () => {
    assert.throws(
      () => assertKnownKeys({ maxOutput: 10 }, known, 'runCommand options'),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.code === 'ERR_TASKMILL_INVALID_ARGUMENT' &&
        error.message.includes('runCommand options has no option "maxOutput"') &&
        error.message.includes('did you mean "maxOutputBytes"?'),
    );
  });

  it('gives no suggestion when nothing is close', () => {
    assert.throws(
      () => assertKnownKeys({ zzzzzzzzzz: 1 }, known, 'X'),
      (error: unknown) => error instanceof Error && !error.message.includes('did you mean'),
    );
  });
});

describe('closestKey', () => {
  it('finds typos, case slips and prefixes', () => {
    const known = ['concurrency', 'workers', 'idleTimeout'];
    assert.equal(closestKey('concurency', known), 'concurrency');
    assert.equal(closestKey('Workers', known), 'workers');
    assert.equal(closestKey('idle', known), 'idleTimeout');
    assert.equal(closestKey('backendName', known), undefined);
  });
});
