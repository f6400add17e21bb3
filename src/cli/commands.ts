import type { Command } from 'commander';
import { registerCreate } from './create.js';
import { registerDownload } from './download.js';
import { registerInfo } from './info.js';
import { registerSeed } from './seed.js';
import { registerTracker } from './tracker.js';

/** Every subcommand registers itself here, one file per command. */
export function registerCommands(program: Command): void {
  registerInfo(program);
  registerCreate(program);
  registerDownload(program);
  registerSeed(program);
  registerTracker(program);
}
