// Runs every compiled test file under dist/ with Node's own test runner.
// Usage: node scripts/test.mjs [--dir DIR] [substring ...]
//   --dir DIR     compiled output to test (default dist)
//   substring     only files whose path contains one of them
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
let dir = 'dist';
const dirAt = args.indexOf('--dir');
if (dirAt >= 0) {
  dir = args[dirAt + 1] ?? dir;
  args.splice(dirAt, 2);
}
const filters = args;
const files = findTests(dir)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(
    `no test files matched ${filters.join(', ') || `${dir}/**/*.test.js`}; run "npm run build" first`,
  );
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
