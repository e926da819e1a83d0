/**
 * Every subcommand of `taskmill`. A command module exports `register(program)`;
 * add one import and one line below per command.
 */
import type { Command } from 'commander';
import { register as registerCrawl } from './crawl.js';
import { register as registerDashboard } from './dashboard.js';
import { register as registerDemo } from './demo.js';
import { register as registerDownload } from './download.js';
import { register as registerQueue } from './queue.js';
import { register as registerRun } from './run.js';
import { register as registerServeGallery } from './serve-gallery.js';
import { register as registerWorker } from './worker.js';

export function registerCommands(program: Command): void {
  registerWorker(program);
  registerQueue(program);
  registerDashboard(program);
  // Commands register here, e.g. registerDownload(program).
  registerCrawl(program);
  registerDemo(program);
  registerDownload(program);
  registerServeGallery(program);
  registerRun(program);
}
