import { isBrokenPipe } from './output-guard.js';

/** SIGPIPE: not a signal Node delivers, but what a write to a pipe nobody reads meant. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGPIPE';

/** 128 + the signal number, as shells report it. */
const EXIT_CODES: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 };

export function exitCodeForSignal(sig: StopSignal): number {
  return EXIT_CODES[sig];
}

export interface TrapOptions {
  /** SIGHUP (the terminal closed) stops too; without it SIGHUP is left to the caller. */
  hangup?: boolean;
}

export interface SignalTrap {
  /** Aborted at the first SIGINT or SIGTERM; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** Resolves with the first signal's name. */
  readonly caught: Promise<StopSignal>;
  /** The signal received, if any. */
  readonly received: StopSignal | undefined;
  /** Removes the handlers (the default behaviour of the signals comes back). */
  dispose(): void;
}

/**
 * Ctrl-C and SIGTERM (and SIGHUP, with `hangup`) for long-running commands: the first asks
 * for a clean stop (the command saves progress and tells the trackers), a second one of any
 * kind exits at once with the code of the first. `onFirst` runs when the first arrives (to
 * print a note). A write to stdout or stderr failing with EPIPE (the reader of our output
 * is gone, as with `| head`) asks for the same clean stop, as 'SIGPIPE'; later ones change
 * nothing.
 */
export function trapSignals(onFirst?: (sig: StopSignal) => void, opts: TrapOptions = {}): SignalTrap {
  const abort = new AbortController();
  let received: StopSignal | undefined;
  let resolveCaught!: (s: StopSignal) => void;
  const caught = new Promise<StopSignal>((r) => (resolveCaught = r));
  const stop = (s: StopSignal): void => {
    received = s;
    onFirst?.(s);
    abort.abort(s);
    resolveCaught(s);
  };
  const handler = (sig: NodeJS.Signals): void => {
    if (received) {
      process.stderr.write('\nswarm: stopped at once; progress since the last save is not recorded\n');
      process.exit(exitCodeForSignal(received));
    }
    stop(sig === 'SIGTERM' || sig === 'SIGHUP' ? sig : 'SIGINT');
  };
  const onOutputError = (err: unknown): void => {
    if (!received && isBrokenPipe(err)) stop('SIGPIPE');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  if (opts.hangup) process.on('SIGHUP', handler);
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  return {
    signal: abort.signal,
    caught,
    get received() {
      return received;
    },
    dispose() {
      process.removeListener('SIGINT', handler);
      process.removeListener('SIGTERM', handler);
      process.removeListener('SIGHUP', handler);
      process.stdout.removeListener('error', onOutputError);
      process.stderr.removeListener('error', onOutputError);
    },
  };
}

/**
 * After a clean stop the process should end by itself; if a handle still holds the event
 * loop open, this ends it anyway after `ms`, so a stopped command never hangs.
 */
export function exitSoon(code: number, ms = 5_000): void {
  setTimeout(() => process.exit(code), ms).unref();
}
