import { logger } from '../util/log.js';

const log = logger('cli');

/**
 * A reader that goes away (`swarm info t.torrent | head -1`) makes the next write to
 * stdout fail with EPIPE, and an 'error' on process.stdout or stderr that nobody listens
 * to ends the process with a stack trace. From here on such output is dropped; a
 * long-running command also stops cleanly when it happens (see trapSignals).
 */
export function guardOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', dropped);
}

function dropped(err: NodeJS.ErrnoException): void {
  log('output dropped: %s', err.code ?? err.message);
}

/** The error a write to a pipe whose reader has gone away fails with. */
export function isBrokenPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}
