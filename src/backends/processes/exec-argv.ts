/**
 * The Node flags a child process inherits from its parent: the parent's own, minus those that
 * belong to the parent alone (its inline script given by -e/-p, the test runner, the inspector,
 * watch mode), which would make every child misbehave.
 */
/** Parent-only flags followed by a separate value (`-e code`, `--test-reporter spec`). */
const DROP_WITH_VALUE = new Set([
  '-e',
  '--eval',
  '-p',
  '--print',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--inspect-port',
  '--debug-port',
]);
/** Parent-only flags, alone or as `--flag=value`. */
const DROP = /^--(?:test|inspect|watch|experimental-test|debug-port|eval|print)(?:[-=]|$)/;

export function inheritedExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (DROP_WITH_VALUE.has(arg)) i++;
    else if (!DROP.test(arg)) out.push(arg);
  }
  return out;
}
