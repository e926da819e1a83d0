// Runs every compiled test file with Node's own test runner: the product's (dist), the
// examples' (dist-examples), the benchmark harness's (dist-bench) and the package's as users
// get it (dist-packaging: the tarball, a new project installing it, the README's code).
// Usage: node scripts/test.mjs [--dir DIR] [substring ...]
//   --dir DIR     only this compiled output (default: all four)
//   substring     only files whose path contains one of them
// A hang fails instead of running until CI's limit: every test file is given a deadline
// (Node's --test-timeout; on Node 20 it bounds each file as a whole, its tests included), 15
// minutes unless TASKMILL_TEST_TIMEOUT_MS says otherwise. Tests that need less say so with
// their own describe(..., { timeout }).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUTPUTS = ['dist', 'dist-examples', 'dist-bench', 'dist-packaging'];

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const args = process.argv.slice(2);
let dirs = OUTPUTS;
const dirAt = args.indexOf('--dir');
if (dirAt >= 0) {
  dirs = [args[dirAt + 1] ?? 'dist'];
  args.splice(dirAt, 2);
}
const filters = args;
const missing = dirs.filter((dir) => !existsSync(dir));
if (missing.length > 0) {
  console.error(`no ${missing.join(', ')}: run "npm run build" first`);
  process.exit(1);
}
const files = dirs
  .flatMap(findTests)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(', ') || `${dirs.join(', ')}/**/*.test.js`}`);
  process.exit(1);
}
const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const timeoutText = process.env.TASKMILL_TEST_TIMEOUT_MS;
const timeoutMs = timeoutText === undefined || timeoutText === '' ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
  console.error(
    `TASKMILL_TEST_TIMEOUT_MS must be a whole number of milliseconds above 0, not ${JSON.stringify(timeoutText)}`,
  );
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', `--test-timeout=${timeoutMs}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
