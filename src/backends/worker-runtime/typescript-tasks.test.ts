import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tsFixtures } from './testing/worker-backend-behaviour.js';

const run = promisify(execFile);

describe('TypeScript, run from source', () => {
  it('a caller running under `node --import tsx` uses .ts task modules on threads and processes', async () => {
    const caller = fileURLToPath(new URL('from-source-caller.ts', tsFixtures));
    const root = fileURLToPath(new URL('../../../', tsFixtures));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', caller], { cwd: root });
    const expected = [42, [3, 6, 9], 'circle:2'];
    assert.deepEqual(JSON.parse(stdout), { threads: expected, processes: expected });
  });
});
