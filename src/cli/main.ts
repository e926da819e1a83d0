#!/usr/bin/env node
/**
 * The `taskmill` executable (package.json "bin"). The command is built on optional packages
 * (commander, cli-progress, undici, cheerio): when any is missing it says which and how to
 * install them, in one line, instead of failing deep inside; otherwise it starts the command.
 */
import { MissingDependencyError } from '../core/errors.js';
import { assertFeatureInstalled } from '../core/optional-packages.js';

try {
  assertFeatureInstalled('cli');
  await import('./program.js');
} catch (error) {
  if (!(error instanceof MissingDependencyError)) throw error;
  process.stderr.write(`taskmill: ${error.message}\n`);
  process.exitCode = 1;
}
