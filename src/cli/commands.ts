import type { Command } from 'commander';

/** Every subcommand registers itself here, one file per command. */
export function registerCommands(_program: Command): void {}
