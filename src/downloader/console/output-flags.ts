/** What `taskmill download` and `taskmill crawl` print: JSON for scripts, or text for people. */
import type { Command } from 'commander';
import type { ConsoleRun } from './run-to-console.js';

export function addOutputFlags(command: Command): Command {
  return command
    .option('--json', 'print the summary as JSON on stdout (all human text goes to stderr)')
    .option('--events', 'also print one JSON line per item on stdout as it ends (implies --json)');
}

/** The console settings the flags ask for (label and crawl shape aside). */
export function consoleFlags(
  flags: Record<string, unknown>,
): Pick<ConsoleRun, 'report' | 'quiet' | 'json' | 'events'> {
  return {
    ...(flags.report !== undefined ? { report: flags.report as string } : {}),
    quiet: flags.quiet === true,
    json: flags.json === true || flags.events === true,
    events: flags.events === true,
  };
}
