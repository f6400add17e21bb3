import { Command, CommanderError } from 'commander';
import { errorMessage, isSwarmError } from '../util/errors.js';
import { logger } from '../util/log.js';
import { VERSION } from '../version.js';
import { registerCommands } from './commands.js';

const log = logger('cli');

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
// after a signal: exitCodeForSignal (signals.ts)

/** Maps anything thrown to the exit-code contract: 2 for bad input, 1 for the rest. */
export function exitCodeFor(err: unknown): number {
  if (isSwarmError(err)) return err.input ? EXIT_USAGE : EXIT_FAILED;
  return EXIT_FAILED;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('swarm')
    .description('A BitTorrent client: download, seed, create and inspect torrents, and run a tracker.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are normal exits; the message was already printed
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT_OK;
      }
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    log('command failed: %O', err);
    const msg = isSwarmError(err) ? err.message : `internal error: ${errorMessage(err)}`;
    process.stderr.write(`swarm: ${msg}\n`);
    return exitCodeFor(err);
  }
}
