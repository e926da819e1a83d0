/**
 * The `taskmill` command (started by main.ts). Each subcommand lives in ./commands/ and registers itself here.
 * Exit status: 0 success, 1 some work failed, 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { reportFatal } from './errors.js';

const program = new Command('taskmill')
  .description('Run many tasks concurrently or in parallel: sequential, async, threads, processes, redis.')
  .version('0.1.0')
  .configureOutput({
    // One line for a usage error, naming where the options are listed.
    outputError: (text, write) =>
      write(`taskmill: ${text.replace(/^error: /, '').trimEnd()} (see "taskmill help <command>")\n`),
  })
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFatal(error);
  }
}
