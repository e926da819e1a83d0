/**
 * The test runner (scripts/test.mjs) gives every run a deadline: a test that hangs, holding the
 * event loop open, fails with a timeout instead of running until CI's limit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../scripts/test.mjs', import.meta.url));

const HANGS = `import { it } from 'node:test';
it('hangs for ever', () => new Promise(() => { setInterval(() => {}, 1000); }));
`;

async function runRunner(
  files: Record<string, string>,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'taskmill-runner-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const started = Date.now();
    // NODE_TEST_CONTEXT would make the inner runner think it runs inside this test file.
    const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
    const child = spawn(process.execPath, [RUNNER, '--dir', dir], {
      env: { ...outer, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a runner that does not stop is ended with all it started.
      detached: true,
    });
    const giveUp = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, 40_000);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(giveUp);
    return { code, output, ms: Date.now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('scripts/test.mjs: a deadline for every test run', { timeout: 60_000 }, () => {
  it('a hanging test fails with a timeout after TASKMILL_TEST_TIMEOUT_MS, the others still pass', async () => {
    const result = await runRunner(
      {
        'hangs.test.js': HANGS,
        'passes.test.js': `import { it } from 'node:test';\nit('passes', () => {});\n`,
      },
      { TASKMILL_TEST_TIMEOUT_MS: '1500' },
    );
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /test timed out after 1500ms/);
    assert.match(result.output, /# pass 1\b/);
    assert.match(result.output, /ok \d+ - passes/);
    // It stops at the deadline, not at some later limit (generous room for a loaded machine).
    assert.ok(result.ms < 20_000, `the runner took ${result.ms} ms`);
  });

  it('refuses a TASKMILL_TEST_TIMEOUT_MS that is not a positive whole number', async () => {
    const result = await runRunner({ 'hangs.test.js': HANGS }, { TASKMILL_TEST_TIMEOUT_MS: '3 minutes' });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /TASKMILL_TEST_TIMEOUT_MS must be a whole number of milliseconds above 0, not "3 minutes"/,
    );
  });
});
