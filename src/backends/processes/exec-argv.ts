/**
 * The Node flags a child process inherits from its parent: the parent's own, minus those that
 * belong to the parent alone (its script given by -e/-p, the test runner, the inspector port,
 * watch mode), which would make every child misbehave.
 */
const WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '-r', '--require']);
const PARENT_ONLY = /^--(?:test|inspect|watch|experimental-test|debug-port|eval|print)/;

export function inheritedExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print') {
      i++;
      continue;
    }
    if (WITH_VALUE.has(arg)) {
      // -r/--require keep their module (a preload such as tsx's).
      out.push(arg, argv[++i] as string);
      continue;
    }
    if (PARENT_ONLY.test(arg)) {
      if (!arg.includes('=') && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('-')) {
        // `--inspect-port 9229`, `--test-reporter spec`: the value goes too.
        if (
          /^--(?:test-reporter|test-reporter-destination|test-name-pattern|inspect-port|debug-port)$/.test(
            arg,
          )
        )
          i++;
      }
      continue;
    }
    out.push(arg);
  }
  return out;
}
