/**
 * The seeds' `Popen.communicate()`: start a program, feed it input on stdin, collect its output
 * and exit code. (The seed fed nslookup; this machine has no network, so `sort` stands in.)
 * No shell is involved: arguments reach the program exactly as written.
 *
 * Run: node dist-examples/subprocess-stdin.js
 */
import { CommandNotFoundError, runCommand } from 'taskmill';

console.log('$ sort -r   (fed: banana, apple, cherry)');
const sorted = await runCommand('sort', ['-r'], { input: 'banana\napple\ncherry\n', timeout: 10_000 });
process.stdout.write(sorted.stdout);
console.log(`Exit code: ${sorted.exitCode}`);

console.log('$ wc -l   (fed: 3 lines)');
const counted = await runCommand('wc', ['-l'], { input: 'one\ntwo\nthree\n' });
console.log(`wc says ${counted.stdout.trim()} lines; exit code ${counted.exitCode}`);

try {
  await runCommand('nslookup-that-is-not-installed', ['python.org']);
} catch (error) {
  if (!(error instanceof CommandNotFoundError)) throw error;
  console.log(`A missing program is a clear error: ${error.code} for "${error.program}"`);
}
